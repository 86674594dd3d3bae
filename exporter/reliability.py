"""Bounded retries of failing sources, and turning crashes on hostile data into clear errors.

A source raises :class:`~exporter.errors.SourceUnavailable` for what may pass (connection refused
or cut, timeouts, HTTP 5xx/429, a database restarting) and other
:class:`~exporter.errors.SourceError` subclasses for what will not (a malformed line, a wrong
encoding, bad credentials). The export retries the former a bounded number of times with
exponential back-off, at the three places a source is used:

* opening it (:func:`open_source`),
* the identity lookups (:func:`resolve_with_retries`), and
* each category (:func:`collect_with_retries`): a category whose read failed half-way is read again
  *from the start* (its data files are discarded first), so a package never holds a category
  assembled from two partial reads.

Without ``allow_partial`` the last error is raised: the export fails with a message naming the
source and nothing is written. With it, the category is collected once more in partial mode and
marked ``incomplete`` with the reason, and a source that stayed unavailable is not asked again for
later categories (they are marked incomplete at once, naming it).

Sources may retry themselves too: the ``http`` source applies the same policy
(:class:`~exporter.retry.RetryPolicy`) to each request (``max_retries`` + 1 tries, ``backoff``,
``backoff_max``). The bounds multiply: at most ``attempts × (max_retries + 1)`` requests per page. The error raised
in the end says how often it was really tried: a source's error that counts its requests
(context ``requests``) gets the total of all tries ("gave up after 4 requests; read 3 times:
12 requests in all"), any other the number of tries.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TypeVar

from .errors import SourceDataError, SourceError, SourceUnavailable
from .retry import RetryPolicy
from .sources import Source

__all__ = ["RetryPolicy", "collect_with_retries", "open_source", "resolve_with_retries"]

T = TypeVar("T")


def _too_deep(what: str, **context: object) -> SourceDataError:
    return SourceDataError(f"{what}: a record is nested too deeply to process", **context,
                           hint="the source holds a pathologically nested value; fix or remove it at the source")


def _is_too_deep(exc: BaseException) -> bool:
    """RecursionError, or a library's own recursion guard (jsonschema-rs: ValueError, orjson:
    JSONEncodeError, a TypeError) tripped by a pathologically nested value."""
    return isinstance(exc, RecursionError) or (
        isinstance(exc, (ValueError, TypeError)) and "recursion limit" in str(exc).lower())


class _Tries:
    """Counts the tries of one retried step and the requests they sent (see the module docstring)."""

    def __init__(self) -> None:
        self.tries = 0
        self.requests = 0
        self.counted = True  #: every failure said how many requests it sent

    def failed(self, exc: SourceError) -> None:
        self.tries += 1
        sent = exc.context.get("requests")
        if isinstance(sent, int) and not isinstance(sent, bool):
            self.requests += sent
        else:
            self.counted = False

    def told(self, exc: SourceError, what: str) -> SourceError:
        """``exc`` (the last failure) with the true number of tries / requests, when it was tried more than once."""
        if self.tries > 1 and not getattr(exc, "_tries_told", False):
            if self.counted:
                exc.message = f"{exc.message}; {what} {self.tries} times: {self.requests} requests in all"
                exc.context["requests"] = self.requests
            else:
                exc.message = f"{exc.message} (tried {self.tries} times)"
            exc.args = (exc.message,)
            exc._tries_told = True  # type: ignore[attr-defined]
        return exc


def _retried(step: Callable[[], T], policy: RetryPolicy, tries: _Tries,
             discard: Callable[[], None] | None = None) -> T:
    """``step()`` until it succeeds, retrying while it raises :class:`SourceUnavailable`; any other
    :class:`SourceError` ends it. The last error is raised (``tries`` counts the retriable ones);
    ``discard`` runs after every failed try (a category's half-written files)."""
    for attempt in range(policy.tries):
        policy.pause(attempt)
        try:
            return step()
        except SourceUnavailable as exc:
            tries.failed(exc)
            if discard is not None:
                discard()
            if attempt + 1 >= policy.tries:
                raise
        except SourceError:
            if discard is not None:
                discard()
            raise
    raise AssertionError("unreachable: the last try returns or raises")


def open_source(stack: ExitStack, source: Source, policy: RetryPolicy) -> None:
    """Enter ``source`` on ``stack`` (so it is closed with it), retrying while it is unavailable."""
    tries = _Tries()
    try:
        _retried(lambda: stack.enter_context(source), policy, tries)
    except SourceUnavailable as exc:
        raise tries.told(exc, "opened")


def resolve_with_retries(resolve: Callable[[bool], T], policy: RetryPolicy, *, allow_partial: bool) -> T:
    """``resolve(partial)`` — the identity lookups — retried while a source is unavailable.

    Tried strictly first; when it keeps failing, raised (or, with ``allow_partial``, run once
    more in partial mode, which records each failed lookup instead of raising)."""
    try:
        tries = _Tries()
        try:
            return _retried(lambda: resolve(False), policy, tries)
        except SourceError as exc:
            if not allow_partial:
                raise tries.told(exc, "looked up")
        return resolve(True)
    except (RecursionError, ValueError, TypeError) as exc:
        if not _is_too_deep(exc):
            raise
        raise _too_deep("identity lookup") from None


def _discard(root: Path, category: str) -> None:
    for path in (root / "data").glob(f"{category}.*"):
        path.unlink(missing_ok=True)


def collect_with_retries(collect: Callable[[bool], T], *, category: str, root: Path, policy: RetryPolicy,
                         allow_partial: bool, failed: MutableMapping[str, str], sources: Sequence[str] = ()) -> T:
    """``collect(partial)`` — one category's collection — retried from scratch while a source is
    unavailable (see the module docstring). ``failed`` (source → reason) is shared with later
    categories: a source that stayed unavailable is entered there in partial mode.

    A value nested too deeply to process becomes a :class:`SourceDataError` naming the category
    and its sources (with ``allow_partial``: the category is incomplete for that reason)."""
    names = sorted(set(sources))
    try:
        tries = _Tries()
        try:
            return _retried(lambda: collect(False), policy, tries, discard=lambda: _discard(root, category))
        except SourceError as exc:
            last = exc
        if not allow_partial:
            raise tries.told(last, "read")
        source = last.context.get("source")
        if isinstance(last, SourceUnavailable) and isinstance(source, str):
            failed.setdefault(source, tries.told(last, "read").located())
        return collect(True)
    except (RecursionError, ValueError, TypeError) as exc:
        if not _is_too_deep(exc):
            raise
        _discard(root, category)
        error = _too_deep(f"category {category}", category=category, source=", ".join(names) or None)
    if not allow_partial or not names:
        raise error
    added = {name: error.message for name in names if name not in failed}
    failed.update(added)  # this category only: its reads are marked failed with the reason
    try:
        return collect(True)
    finally:
        for name in added:
            failed.pop(name, None)
