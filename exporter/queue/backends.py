"""Where finished packages go: the output backend interface and the shipped local-folder backend.

A worker exports into its work folder (the atomic package writer: a hidden ``.partial`` folder
renamed into place when complete), then hands the finished package to the backend with
:meth:`OutputBackend.put`. A deployment that stores packages in object storage implements the
same four methods; :class:`LocalFolderBackend` keeps them in a folder every worker mounts
(docs/scaling.md).

The backend is also what makes the export task idempotent: a task whose request id the backend
already holds returns the stored summary instead of exporting again.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import orjson

from ..cleanup import remove_tree
from ..errors import OutputError
from ..packaging.package import _RENAME_NOREPLACE, _fsync_dir, _renameat2

__all__ = ["LocalFolderBackend", "OutputBackend"]


@runtime_checkable
class OutputBackend(Protocol):
    """Stores finished packages by request id. Implementations must be safe to use from several
    worker processes (and machines) at once."""

    def put(self, request_id: str, package: Path, summary: dict[str, Any]) -> str:
        """Store the complete package folder ``package`` (the worker's, which the backend may move
        or delete) and its result ``summary`` (JSON-ready); return where it now is (a path or an
        object key). Never replaces a stored package: raises :class:`~exporter.errors.OutputError`
        if ``request_id`` is held already. The package becomes visible (:meth:`exists`) only
        whole, after its summary."""
        ...

    def exists(self, request_id: str) -> bool:
        """Whether a complete package is stored for ``request_id``."""
        ...

    def locate(self, request_id: str) -> str | None:
        """Where the package of ``request_id`` is (what :meth:`put` returned), or None."""
        ...

    def summary(self, request_id: str) -> dict[str, Any] | None:
        """The result summary stored with the package, or None when there is no package."""
        ...


class LocalFolderBackend:
    """Packages in ``root/<request id>/``, summaries in ``root/.results/<request id>.json``.

    ``root`` is a folder shared by all workers (a local disk for workers on one machine, an NFS
    or SMB mount otherwise). A package arrives by one ``rename`` (no-replace) from a folder on the
    same filesystem, or is copied into a hidden ``.partial`` folder beside it first and renamed,
    so a reader never sees half a package.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"LocalFolderBackend({str(self.root)!r})"

    def _final(self, request_id: str) -> Path:
        if not request_id or "/" in request_id or request_id.startswith("."):
            raise OutputError("not a usable request id for a package folder")
        return self.root / request_id

    def _summary_path(self, request_id: str) -> Path:
        return self.root / ".results" / f"{request_id}.json"

    def put(self, request_id: str, package: Path, summary: dict[str, Any]) -> str:
        final = self._final(request_id)
        if self.exists(request_id):
            raise OutputError("a package for this request id is stored already", request_id=request_id)
        self.root.mkdir(parents=True, exist_ok=True)
        stored = {**summary, "location": str(final)}
        results = self._summary_path(request_id).parent
        results.mkdir(exist_ok=True)
        tmp = results / f".{request_id}.json.tmp-{secrets.token_hex(4)}"
        with tmp.open("wb") as fh:
            fh.write(orjson.dumps(stored, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._summary_path(request_id))  # before the package: exists() ⇒ summary
        _fsync_dir(results)
        source = Path(package)
        if os.stat(source.parent).st_dev != os.stat(self.root).st_dev:  # another filesystem: copy, then rename
            staged = self.root / f".{request_id}.partial-{secrets.token_hex(4)}"
            shutil.copytree(source, staged)
            remove_tree(source, "the package copied to the results folder")
            source = staged
        try:
            _rename_noreplace(source, final)
        except BaseException:
            if source.name.startswith(f".{request_id}.partial-"):
                remove_tree(source, "the package's work copy in the results folder")
            raise
        _fsync_dir(self.root)
        return str(final)

    def exists(self, request_id: str) -> bool:
        return (self._final(request_id) / "manifest.json").is_file()

    def locate(self, request_id: str) -> str | None:
        return str(self._final(request_id)) if self.exists(request_id) else None

    def summary(self, request_id: str) -> dict[str, Any] | None:
        if not self.exists(request_id):
            return None
        try:
            data = orjson.loads(self._summary_path(request_id).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None


def _rename_noreplace(source: Path, final: Path) -> None:
    """Rename ``source`` to ``final``, failing (OutputError) when ``final`` exists."""
    try:
        if not _renameat2(source, final, _RENAME_NOREPLACE):
            if final.exists():  # pragma: no cover - no renameat2: a check, then rename (fails on a non-empty dir)
                raise FileExistsError(final)
            os.rename(source, final)
    except OSError as exc:
        import errno

        if isinstance(exc, FileExistsError) or exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise OutputError("a package for this request id is stored already (written meanwhile)",
                              path=str(final)) from None
        raise OutputError(f"cannot move the package into place: {exc.strerror}", path=str(final)) from exc
