"""Renderers: ``report.pdf`` (WeasyPrint, PDF/A-3b, locked URL fetcher) and the offline ``index.html``.

Both take the render context described in docs/architecture.md ("Render context"): the bundle
without records, at most ``pdf_rows`` sample records per category, and the category schemas.
Templates and CSS live in ``templates/`` (see :func:`exporter.resources.templates_dir`); the
Jinja2 environment is created once per process and shared by all threads.
"""

from __future__ import annotations

from .html import render_html, render_html_text
from .pdf import render_pdf, render_pdf_bytes

__all__ = ["render_html", "render_html_text", "render_pdf", "render_pdf_bytes"]
