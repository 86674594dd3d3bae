"""The library API: one access request in, one package (and a result object) out.

    from exporter import AccessRequest, ExportOptions, export, load_config
    config = load_config("exporter.toml")                      # once, at start-up
    result = export(AccessRequest.parse(["email:jane@example.com"], jurisdiction="uk"),
                    config, "out/", ExportOptions(pdf=True))
    result.path, result.counts, result.coverage, result.deadlines, result.manifest_sha256

Safe to call from several threads for different subjects: every call opens its own sources and
writes its own folder; what is shared (catalog, schemas, compiled validators, templates) is
read-only and loaded once per process. Reference: docs/library.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from .config import Config, load_config
from .errors import RequestError
from .law import jurisdictions
from .law.findings import Finding
from .packaging.package import verify
from .request import (
    VERIFICATION_LEVELS,
    AccessRequest,
    Clarification,
    ClockStop,
    ExportOptions,
    Extension,
    VerificationDetails,
    check_request_id,
    parse_identifier,
)
from .request import known_identifier_types as known_identifier_types  # importable from here, as before
from .result import CategoryCoverage, Coverage, ExportResult, ReadCoverage

__all__ = [
    "VERIFICATION_LEVELS",
    "AccessRequest",
    "CategoryCoverage",
    "Clarification",
    "Finding",
    "VerificationDetails",
    "ClockStop",
    "Coverage",
    "ExportOptions",
    "ExportResult",
    "Extension",
    "ReadCoverage",
    "export",
    "parse_identifier",
    "verify_package",
]


def _check_request(request: AccessRequest, config: Config) -> None:
    if not request.identifiers:
        raise RequestError("the request names no subject identifier")
    if request.jurisdiction not in jurisdictions.available():
        raise RequestError(f"unknown jurisdiction {request.jurisdiction!r}",
                           hint=f"use one of: {', '.join(jurisdictions.available())}")
    if request.verification not in VERIFICATION_LEVELS:
        raise RequestError(f"unknown verification level {request.verification!r}",
                           hint=f"use one of: {', '.join(VERIFICATION_LEVELS)}")
    for ident in request.identifiers:
        if ident.type not in config.given:
            raise RequestError(f"identifier type {ident.type!r} cannot be used to name a subject",
                               hint=f"use one of: {', '.join(config.given)}")
    check_request_id(request.request_id)


def export(
    request: AccessRequest,
    config: Config | str | Path,
    out_dir: str | Path,
    options: ExportOptions | None = None,
    *,
    now: dt.datetime | None = None,
    force: bool | None = None,
    strict: bool | None = None,
    pdf: bool | None = None,
    html: bool | None = None,
    progress: Callable[[str, int], None] | None = None,
    env: Mapping[str, str] | None = None,
    allow_partial: bool | None = None,
    sign_key: str | Path | None = None,
    acknowledge: Iterable[str] | None = None,
) -> ExportResult:
    """Produce the access package for ``request`` in ``out_dir/<request id>/``.

    ``config`` is a loaded :class:`~exporter.config.Config` (load it once with
    :func:`~exporter.config.load_config` and share it between calls and threads) or the path of
    the TOML file. ``options`` says how to produce the package (:class:`ExportOptions`); the
    keyword arguments are shorthands that override single options (``export(r, c, o, pdf=False)``).

    Without ``allow_partial`` any source failure aborts the export and nothing is written. With it,
    the package is completed and every category a failed source feeds is marked ``incomplete``
    (with the reason) in bundle.json, the manifest and the PDF.

    The stages (open sources, resolve identities, collect, apply the law, write, publish) are
    :class:`exporter.run.ExportRun`'s.

    Raises only :class:`~exporter.errors.ExporterError` subclasses for problems of the request,
    configuration, sources, data or output (see docs/library.md).
    """
    from .run import ExportRun

    overrides = {k: v for k, v in {"now": now, "force": force, "strict": strict, "pdf": pdf, "html": html,
                                   "progress": progress, "env": env, "allow_partial": allow_partial,
                                   "sign_key": sign_key,
                                   "acknowledge": frozenset(acknowledge) if acknowledge is not None else None,
                                   }.items() if v is not None}
    opts = (options or ExportOptions()).replace(**overrides)
    cfg = config if isinstance(config, Config) else load_config(config)
    _check_request(request, cfg)
    return ExportRun(request, cfg, out_dir, opts).execute()


def verify_package(path: str | Path, *, public_key: str | Path | None = None) -> list[str]:
    """Problems with a package on disk (empty = intact): changed, missing or extra files, documents
    that break their schema and, with ``public_key`` (the Ed25519 public key, PEM, of the key that
    signed it: ``ExportOptions(sign_key=…)``), a missing or bad signature of manifest.json."""
    return verify(Path(path), public_key=Path(public_key) if public_key is not None else None)
