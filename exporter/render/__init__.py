"""Renderers: ``report.pdf`` (WeasyPrint, PDF/A-3b, locked URL fetcher) and the offline ``index.html``.

Both take the render context described in docs/architecture.md ("Render context"): the bundle
without records, at most ``pdf_rows`` sample records per category, and the category schemas.
Templates and CSS live in ``templates/`` (see :func:`exporter.resources.templates_dir`); the
Jinja2 environment is created once per process and shared by all threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .html import render_html, render_html_text
    from .pdf import render_pdf, render_pdf_bytes

__all__ = ["render_html", "render_html_text", "render_pdf", "render_pdf_bytes"]

_HOME = {"render_html": "html", "render_html_text": "html", "render_pdf": "pdf", "render_pdf_bytes": "pdf"}


def __getattr__(name: str) -> Any:
    """Import on first use: ``.pdf`` loads WeasyPrint (about 0.6 s), which writing index.html, or a
    process whose PDF a :class:`~exporter.render.worker.WarmRenderer` helper renders, never needs."""
    if name in _HOME:
        from importlib import import_module

        return getattr(import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
