"""The only URL fetcher WeasyPrint gets: packaged assets, and nothing else.

Templates refer to their own assets (fonts) by the fixed URL ``piconext-asset:/<path>``, where
``<path>`` is relative to :func:`exporter.resources.templates_dir`. Any other URL — ``http(s):``,
``file:``, ``data:``, ``ftp:``, a path that climbs out of the templates folder, a file type that is
not an asset — is refused with :class:`AssetRefused` before anything is opened. WeasyPrint logs the
refusal, and :mod:`exporter.render.pdf` fails the render when the fetcher refused anything.

The fetcher never touches the network: it subclasses :class:`weasyprint.urls.URLFetcher` (WeasyPrint
70 requires an instance of it) but removes every urllib handler the base class installs.
"""

from __future__ import annotations

import threading
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from ..resources import templates_dir
from ._libs import import_weasyprint

import_weasyprint()  # before the first ``weasyprint`` import: skips its slow library search

from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = ["ASSET_BASE", "AssetFetcher", "AssetRefused", "asset_url"]

#: Fixed base URL of packaged assets. Not a network scheme: nothing but this module resolves it.
ASSET_BASE = "piconext-asset:/"

#: File types the fetcher serves, with their media types.
_MEDIA_TYPES = {
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".css": "text/css",
}

_cache: dict[str, bytes] = {}
_cache_lock = threading.Lock()


class AssetRefused(ValueError):
    """A URL that is not a packaged asset was requested (and was not fetched)."""


def asset_url(relative: str) -> str:
    """The URL templates use for a packaged asset, e.g. ``asset_url("fonts/NotoSans-Regular.woff2")``."""
    return ASSET_BASE + relative.lstrip("/")


def _resolve(url: str) -> Path:
    if not isinstance(url, str) or not url.startswith(ASSET_BASE):
        scheme = url.split(":", 1)[0] if isinstance(url, str) and ":" in url else "relative"
        # The message names the scheme only: URLs may carry subject data.
        raise AssetRefused(f"refused to fetch a non-asset URL (scheme {scheme!r})")
    rest = url[len(ASSET_BASE) :]
    if "?" in rest or "#" in rest or "\\" in rest:
        raise AssetRefused("refused an asset URL with a query, fragment or backslash")
    relative = PurePosixPath(unquote(rest))
    if relative.is_absolute() or not relative.parts or any(p in ("", ".", "..") for p in relative.parts):
        raise AssetRefused("refused an asset URL that is not a plain relative path")
    if relative.suffix.lower() not in _MEDIA_TYPES:
        raise AssetRefused(f"refused an asset of type {relative.suffix!r}")
    root = templates_dir().resolve()
    path = (root / Path(*relative.parts)).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise AssetRefused("refused an asset URL outside the packaged templates")
    return path


def _read(path: Path) -> bytes:
    key = str(path)
    with _cache_lock:
        data = _cache.get(key)
    if data is None:
        data = path.read_bytes()
        if path.suffix.lower() == ".woff2":
            # Decompress once per process, not once per rendered document (the CJK font is large).
            from fontTools.ttLib import woff2

            out = BytesIO()
            woff2.decompress(BytesIO(data), out)
            data = out.getvalue()
        with _cache_lock:
            _cache.setdefault(key, data)
    return data


class AssetFetcher(URLFetcher):  # type: ignore[misc]
    """Serves ``piconext-asset:/…`` from the packaged templates folder; refuses everything else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("piconext-asset",), allow_redirects=False)
        # Drop every urllib handler (http, https, ftp, file, data …): even a call that bypassed
        # fetch() could not open anything.
        self.handlers: list[Any] = []
        self.handle_open: dict[str, Any] = {}
        self.handle_error: dict[str, Any] = {}
        self.process_request: dict[str, Any] = {}
        self.process_response: dict[str, Any] = {}
        #: How many URLs this fetcher refused (the renderer fails the render when non-zero).
        self.refused = 0

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        try:
            path = _resolve(url)
        except AssetRefused:
            self.refused += 1
            raise
        media_type = _MEDIA_TYPES[path.suffix.lower()]
        body = _read(path)
        if media_type == "font/woff2":
            media_type = "font/sfnt"  # served decompressed (see _read)
        return URLFetcherResponse(url, body=body, headers={"Content-Type": media_type})

    def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
        full_url = getattr(url, "full_url", url)
        return self.fetch(full_url)
