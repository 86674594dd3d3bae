"""Command line: a thin typer layer over :mod:`exporter.api`.

Errors of the exporter are printed as one line (``error: …``, never a traceback, never subject
data) and end the command with the error's ``exit_code``: 2 configuration/request, 3 source,
4 invalid record, 5 subject not found (``--strict``), 6 output, 7 incomplete (``export``: the
package was written, but some category was not searched — ``--allow-partial`` accepts it;
``audit --strict``: some column is neither exported nor excluded); 1 for an unexpected failure.

The package: :mod:`.app` (the typer app), one module per command group — :mod:`.export`
(``export``, ``demo``), :mod:`.checks` (``verify``, ``audit``), :mod:`.catalog` (``schemas``,
``catalog``), :mod:`.samples`, :mod:`.batch` (``export-batch``) — and what they share:
:mod:`.output` (JSON, error lines, log lines) and :mod:`.values` (dates, times, the zip password).
``exporter.cli:main`` is the console script (also ``python -m exporter`` and ``python -m
exporter.cli``); ``exporter.cli:app`` the typer app.
"""

from __future__ import annotations

# the command modules register on ``app`` when imported, in the order ``--help`` lists them
from . import export, checks, catalog, samples, batch  # noqa: F401
from .app import app
from ..runtime import use_system_allocator

__all__ = ["app", "main"]


def main() -> None:
    use_system_allocator()  # this process is ours: the allocator that returns freed memory
    app()

