"""``index.html``: the report for a web browser, fully offline.

One self-contained file: the CSS is inlined, there are no scripts, images, fonts or any other
resource reference, and every value from the bundle is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..collect.writers import replace_atomically
from ._env import environment, read_text
from .view import build_view

__all__ = ["render_html", "render_html_text"]


def render_html_text(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    *,
    lang: str = "en",
    columns: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The page as a string (see :func:`render_html`)."""
    view = build_view(bundle, samples, schemas, lang=lang, columns=columns)
    # The stylesheet is the project's own file, never subject data: it is the only Markup here.
    css_text = re.sub(r"/\*.*?\*/", "", read_text("index.css"), flags=re.DOTALL).strip()
    css = Markup(css_text.replace("</", "<\\/"))
    return (
        environment()
        .get_template("index.html.j2")
        .render(v=view, css=css, controller_name=view["author"] or "us")
    )


def render_html(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    out: Path,
    *,
    lang: str = "en",
    columns: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Write the offline ``index.html`` to ``out`` (UTF-8, atomically); ``columns`` as for the PDF."""
    text = render_html_text(bundle, samples, schemas, lang=lang, columns=columns)
    replace_atomically(Path(out), text.encode("utf-8"))
