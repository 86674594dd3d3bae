"""``kind = "http"``: a JSON HTTP API, one request series per identifier value.

Options: ``base_url``; ``auth`` = ``{type = "bearer", token_env = "VAR"}`` |
``{type = "header", header = "X-Api-Key", value_env = "VAR"}`` | ``{type = "none"}`` (default);
``timeout`` (s, default 10), ``max_retries`` (default 3), ``backoff`` (s, default 0.5, doubled per
retry), ``backoff_max`` (s, default 30, also caps ``Retry-After``), ``headers`` (extra headers).

Read params: ``endpoint`` (path template, ``{type}`` placeholders are replaced by the URL-encoded
value), ``query`` (``{param = "template"}``), ``records`` (dotted path of the record list in the
JSON body, ``""`` = the body is the list), ``pagination`` (``page`` / ``cursor`` / ``link``),
``not_found`` (``"empty"`` — a 404 means nothing is held — or ``"error"``), ``max_pages``,
``match = { type = "field" }`` (the record field holding the identifier, when it is not named like
its type: every record the API returns is re-checked against the subject's values).

Transient failures (timeouts, connection errors, 429, 5xx) are retried with exponential backoff,
honouring ``Retry-After``; then :class:`SourceUnavailable`. URLs carry subject values, so messages
name the endpoint *template*, never the requested URL; httpx's request log lines are suppressed.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from ..errors import ConfigError, SourceDataError, SourceError, SourceUnavailable
from ..retry import RetryPolicy
from .base import Batch, Identities, ReadSpec, Source

__all__ = ["HttpSource"]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ENV_NAME = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}


class _NoRequestUrls(logging.Filter):
    """httpx logs every request URL at INFO; ours contain identifier values."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("HTTP Request:")


_FILTER = _NoRequestUrls()


def _dig(body: Any, path: str) -> tuple[bool, Any]:
    """Value at dotted ``path`` in ``body``; ``(False, None)`` when a key is missing."""
    if not path:
        return True, body
    for part in path.split("."):
        if isinstance(body, Mapping) and part in body:
            body = body[part]
        elif isinstance(body, list) and part.isdigit() and int(part) < len(body):
            body = body[int(part)]
        else:
            return False, None
    return True, body


def _segment(value: str) -> str:
    """URL-encode one identifier value as a single path segment (``/`` and dot segments included)."""
    if value in (".", ".."):
        return value.replace(".", "%2E")
    return quote(value, safe="")


class HttpSource(Source):
    #: one request series per value: ask for the comparison keys, not every spelling
    probe_forms: ClassVar[bool] = False
    kind: ClassVar[str] = "http"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "base_url": {"type": "string", "pattern": "^https?://"},
            "auth": {
                "oneOf": [
                    {"type": "object", "properties": {"type": {"const": "bearer"}, "token_env": _ENV_NAME},
                     "required": ["type", "token_env"], "additionalProperties": False},
                    {"type": "object", "properties": {"type": {"const": "header"},
                                                      "header": {"type": "string", "minLength": 1},
                                                      "value_env": _ENV_NAME},
                     "required": ["type", "header", "value_env"], "additionalProperties": False},
                    {"type": "object", "properties": {"type": {"const": "none"}},
                     "required": ["type"], "additionalProperties": False},
                ]
            },
            "timeout": {"type": "number", "exclusiveMinimum": 0},
            "max_retries": {"type": "integer", "minimum": 0, "maximum": 20},
            "backoff": {"type": "number", "minimum": 0},
            "backoff_max": {"type": "number", "minimum": 0},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["base_url"],
        "additionalProperties": False,
    }
    read_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "endpoint": {"type": "string", "minLength": 1},
            "query": {"type": "object", "additionalProperties": {"type": "string"}},
            "match": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
            "records": {"type": "string"},
            "pagination": {
                "oneOf": [
                    {"type": "object", "properties": {
                        "type": {"const": "page"}, "param": {"type": "string"}, "size_param": {"type": "string"},
                        "size": {"type": "integer", "minimum": 1}, "start": {"type": "integer"}},
                     "required": ["type"], "additionalProperties": False},
                    {"type": "object", "properties": {
                        "type": {"const": "cursor"}, "param": {"type": "string"}, "next": {"type": "string"}},
                     "required": ["type", "next"], "additionalProperties": False},
                    {"type": "object", "properties": {"type": {"const": "link"}},
                     "required": ["type"], "additionalProperties": False},
                    {"type": "object", "properties": {"type": {"const": "none"}},
                     "required": ["type"], "additionalProperties": False},
                ]
            },
            "not_found": {"enum": ["empty", "error"]},
            "max_pages": {"type": "integer", "minimum": 1},
        },
        "required": ["endpoint"],
        "additionalProperties": False,
    }

    def __init__(
        self,
        name: str,
        options: Mapping[str, Any],
        *,
        base_dir: Path,
        env: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(name, options, base_dir=base_dir, env=env)
        self._transport = transport
        #: the project's one retry policy, per request: max_retries + 1 tries, backoff doubled, capped
        self.retry = RetryPolicy(attempts=int(self.options.get("max_retries", 3)) + 1,
                                 wait=float(self.options.get("backoff", 0.5)),
                                 max_wait=float(self.options.get("backoff_max", 30)),
                                 sleep=sleep if sleep is not None else time.sleep)
        self._client: httpx.Client | None = None
        self._auth_hint = "configure `auth` on the source"

    # -- set-up -------------------------------------------------------------------------------------

    def _secret(self, var: Any, what: str) -> str:
        value = self.env.get(str(var))
        if not value:
            raise ConfigError(f"environment variable {var} ({what}) is not set", source=self.name,
                              key=f"sources.{self.name}.auth", hint=f"export {var}=…")
        return value

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "piconext-exporter"}
        headers.update({str(k): str(v) for k, v in (self.options.get("headers") or {}).items()})
        auth = self.options.get("auth") or {"type": "none"}
        kind = auth.get("type", "none")
        if kind == "bearer":
            headers["Authorization"] = "Bearer " + self._secret(auth.get("token_env"), "token_env")
            self._auth_hint = f"check the token in ${auth.get('token_env')}"
        elif kind == "header":
            if not auth.get("header"):
                raise ConfigError("auth type \"header\" needs `header`", source=self.name,
                                  key=f"sources.{self.name}.auth")
            headers[str(auth["header"])] = self._secret(auth.get("value_env"), "value_env")
            self._auth_hint = f"check the value in ${auth.get('value_env')} (sent as {auth['header']})"
        elif kind != "none":
            raise ConfigError(f"unknown auth type {kind!r}", source=self.name, key=f"sources.{self.name}.auth",
                              hint="use bearer, header or none")
        return headers

    def open(self) -> None:
        base_url = self.options.get("base_url")
        if not isinstance(base_url, str) or not re.match(r"^https?://[^/]", base_url):
            raise ConfigError("`base_url` must be an http(s) URL", source=self.name,
                              key=f"sources.{self.name}.base_url")
        logging.getLogger("httpx").addFilter(_FILTER)
        self._client = httpx.Client(
            base_url=base_url,
            headers=self._headers(),
            timeout=float(self.options.get("timeout", 10)),
            transport=self._transport,
            follow_redirects=False,  # a redirect could carry our credentials to another host
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- one request with retries -------------------------------------------------------------------

    def _retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())

    def _get(self, url: str | httpx.URL, params: Mapping[str, str] | None, where: dict[str, Any]
             ) -> httpx.Response:
        assert self._client is not None
        policy = self.retry
        for attempt in range(policy.tries):
            try:
                response = self._client.get(url, params=params)
            except httpx.TimeoutException as exc:
                reason, asked = f"timed out ({type(exc).__name__})", None
            except httpx.TransportError as exc:
                reason, asked = f"connection failed ({type(exc).__name__})", None
            else:
                code = response.status_code
                if code != 429 and code < 500:
                    return response
                reason, asked = f"HTTP {code}", self._retry_after(response)
            if attempt + 1 < policy.tries:
                policy.pause(attempt + 1, asked=asked)
        sent = policy.tries  # one try = one request
        raise SourceUnavailable(f"request {reason}, gave up after {sent} request{'s' if sent > 1 else ''}",
                                source=self.name, **where, requests=sent,
                                hint="the API is unreachable or overloaded; retry the export later")

    # -- reads --------------------------------------------------------------------------------------

    def _templates(self, spec: ReadSpec) -> tuple[str, dict[str, str], str]:
        endpoint = spec.params.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            raise ConfigError("http read needs an `endpoint`", source=self.name, stream=spec.label)
        query = {str(k): str(v) for k, v in (spec.params.get("query") or {}).items()}
        used = set(_PLACEHOLDER.findall(endpoint))
        for v in query.values():
            used |= set(_PLACEHOLDER.findall(v))
        unknown = sorted(used - set(spec.needs))
        if unknown:
            raise ConfigError(f"endpoint/query uses {{{unknown[0]}}} which is not in `needs`", source=self.name,
                              stream=spec.label)
        if len(spec.needs) != 1 or spec.needs[0] not in used:
            raise ConfigError("an http read needs exactly one identifier type, used as {type} in `endpoint` "
                              "or `query`", source=self.name, stream=spec.label)
        return endpoint, query, spec.needs[0]

    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        endpoint, query, id_type = self._templates(spec)
        if self._client is None:
            self.open()
        for value in ids.get(id_type, ()):
            segment = _segment(value)
            path = _PLACEHOLDER.sub(lambda _m: segment, endpoint)  # noqa: B023 - used at once
            params = {k: _PLACEHOLDER.sub(lambda _m: value, v) for k, v in query.items()}  # noqa: B023
            yield from self._series(spec, path, params)

    def _series(self, spec: ReadSpec, path: str, query: dict[str, str]) -> Iterator[Batch]:
        """The pages of one request series: each page fetched (one retry policy, :meth:`_get`),
        its status checked, its records taken from the body, then the next page followed."""
        assert self._client is not None
        records_path = str(spec.params.get("records", ""))
        max_pages = int(spec.params.get("max_pages", 10_000))
        not_found_empty = spec.params.get("not_found", "empty") == "empty"
        endpoint = str(spec.params["endpoint"])
        pages = _Pages(dict(spec.params.get("pagination") or {"type": "none"}), path, query, source=self.name,
                       origin=self._client.base_url.copy_with(path="/", query=None, fragment=None))
        previous: bytes | None = None
        for n in range(1, max_pages + 1):
            where: dict[str, Any] = {"stream": spec.label, "endpoint": endpoint, "page": n}
            response = self._get(pages.url, pages.params, where)
            if not self._has_body(response, first=n == 1, not_found_empty=not_found_empty, where=where):
                return
            body, items = self._records(response, records_path, where)
            if pages.kind == "page" and items and response.content == previous:
                raise SourceDataError("the API returned the same page twice (does it ignore the page "
                                      "parameter?)", source=self.name, **where)
            previous = response.content
            if items:
                yield items
            if not pages.advance(response, body, items, where):
                return
        raise SourceDataError(f"more than max_pages={max_pages} pages", source=self.name, stream=spec.label,
                              endpoint=endpoint, hint="raise `max_pages` if the API really has that many")

    def _has_body(self, response: httpx.Response, *, first: bool, not_found_empty: bool,
                  where: dict[str, Any]) -> bool:
        """Whether a (non-retriable) response carries a page: False for a first-page 404 that means
        nothing is held and for an empty body; refused credentials, redirects and errors raise."""
        code = response.status_code
        if code == 404 and first and not_found_empty:
            return False
        if code in (401, 403):
            raise SourceError(f"HTTP {code}: the API refused our credentials", source=self.name, **where,
                              hint=self._auth_hint)
        if 300 <= code < 400:
            raise SourceError(f"HTTP {code}: unexpected redirect", source=self.name, **where,
                              hint="point `base_url`/`endpoint` at the final location")
        if code >= 400:
            raise SourceError(f"HTTP {code} from the API", source=self.name, **where)
        return not (code == 204 or not response.content)

    def _records(self, response: httpx.Response, records_path: str, where: dict[str, Any]
                 ) -> tuple[Any, list[dict[str, Any]]]:
        """The JSON body and the list of record objects at ``records_path`` in it (validated)."""
        try:
            body = response.json()
        except ValueError:
            raise SourceDataError("response body is not valid JSON (truncated or not JSON)",
                                  source=self.name, **where,
                                  content_type=response.headers.get("content-type")) from None
        found, items = _dig(body, records_path)
        if not found:
            raise SourceDataError(f"response has no {records_path!r}", source=self.name, **where,
                                  hint="check the read's `records` path")
        items = [] if items is None else items
        if not isinstance(items, list) or not all(isinstance(r, dict) for r in items):
            raise SourceDataError(f"{records_path or 'the body'!r} is not a list of objects",
                                  source=self.name, **where)
        return body, items


class _Pages:
    """Where the next page of a series is (``pagination``: ``page``, ``cursor``, ``link`` or
    ``none``), refusing loops and a ``Link`` to another host."""

    def __init__(self, pag: dict[str, Any], path: str, query: dict[str, str], *, source: str,
                 origin: httpx.URL) -> None:
        self.pag, self.kind, self.source, self.origin = pag, pag.get("type", "none"), source, origin
        self.query = query
        self.url: str | httpx.URL = path
        self.params: dict[str, str] | None = query
        self.page_no = int(pag.get("start", 1))
        self.size = pag.get("size")
        self.seen: set[str] = set()
        if self.kind == "page":
            query[str(pag.get("param", "page"))] = str(self.page_no)
            if self.size is not None and pag.get("size_param"):
                query[str(pag["size_param"])] = str(self.size)

    def advance(self, response: httpx.Response, body: Any, items: list[dict[str, Any]],
                where: dict[str, Any]) -> bool:
        """Point at the next page; False when this one was the last."""
        if self.kind == "page":
            if not items or (self.size is not None and len(items) < int(self.size)):
                return False
            self.page_no += 1
            self.query[str(self.pag.get("param", "page"))] = str(self.page_no)
            return True
        if self.kind == "cursor":
            return self._cursor(body, where)
        if self.kind == "link":
            return self._link(response, where)
        return False

    def _cursor(self, body: Any, where: dict[str, Any]) -> bool:
        _, cursor = _dig(body, str(self.pag.get("next", "")))
        if cursor in (None, ""):
            return False
        if not isinstance(cursor, (str, int)):
            raise SourceDataError("the next cursor is not a string", source=self.source, **where)
        if str(cursor) in self.seen:
            raise SourceDataError("pagination loop: the API repeated a cursor", source=self.source, **where)
        self.seen.add(str(cursor))
        self.query[str(self.pag.get("param", "cursor"))] = str(cursor)
        return True

    def _link(self, response: httpx.Response, where: dict[str, Any]) -> bool:
        nxt = response.links.get("next", {}).get("url")
        if not nxt:
            return False
        target = response.url.join(nxt)
        origin = self.origin
        if (target.scheme, target.host, target.port) != (origin.scheme, origin.host, origin.port):
            raise SourceDataError("Link rel=\"next\" points to another host; refusing to follow",
                                  source=self.source, **where)
        if str(target) in self.seen:
            raise SourceDataError("pagination loop: Link rel=\"next\" repeats a page", source=self.source,
                                  **where)
        self.seen.add(str(target))
        self.url, self.params = target, None
        return True
