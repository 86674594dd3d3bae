"""The typer application every command registers on: its name, help and epilog, ``--version``,
and flags shown without a type. The commands live one group per module beside it
(:mod:`exporter.cli`).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

__all__ = ["app"]

app = typer.Typer(
    name="exporter",
    help="PicoNext right-of-access exporter: machine-readable JSON bundle + readable PDF (GDPR Art. 15, UK GDPR, CCPA).",
    epilog="Start with:  exporter demo   (builds a demo store, prints the package folder: open its index.html "
           "or report.pdf).  Shell completion:  exporter --install-completion",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _flags_without_type() -> None:
    """typer ≥ 0.20 prints a ``<bool>`` type beside every flag (``--force <bool>``), which reads as
    if the flag took a value; a flag's help shows none (options with values show their METAVAR)."""
    try:
        from typer.core import TyperOption
    except ImportError:  # pragma: no cover - an older typer shows no types at all
        return
    shown = TyperOption.display_type_rich
    if getattr(shown, "_exporter_flags", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich._exporter_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_without_type()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"exporter {_package_version()}")
        raise typer.Exit()


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("piconext-exporter")
    except PackageNotFoundError:  # run from a source tree that is not installed
        from .. import __version__

        return __version__


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """PicoNext right-of-access exporter: machine-readable JSON bundle + readable PDF (GDPR Art. 15, UK GDPR, CCPA)."""
