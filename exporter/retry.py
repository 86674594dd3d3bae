"""The one retry policy: bounded tries with capped exponential back-off.

Used by the export for unavailable sources (:mod:`exporter.reliability`: opening a source, the
identity lookups, each category) and by the ``http`` source for each request (where a server's
``Retry-After`` replaces the back-off, capped alike). The waiting is done by ``sleep`` (injectable:
tests pass a recorder and count the waits instead of measuring time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a retriable failure is retried."""

    attempts: int = 3  #: tries in all (1 = no retry)
    wait: float = 1.0  #: seconds before the second try; doubled for each further one
    max_wait: float = 30.0  #: cap of one wait (also of a server's Retry-After)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    @property
    def tries(self) -> int:
        return max(1, self.attempts)

    def delay(self, attempt: int, *, asked: float | None = None) -> float:
        """Seconds to wait before try number ``attempt`` (0-based; 0 before the first): the
        back-off, or ``asked`` (e.g. ``Retry-After``) when given; never more than ``max_wait``."""
        if attempt <= 0:
            return 0.0
        return min(self.max_wait, self.wait * 2 ** (attempt - 1) if asked is None else max(0.0, asked))

    def pause(self, attempt: int, *, asked: float | None = None) -> None:
        """Wait before try number ``attempt`` (no wait before the first)."""
        if attempt > 0:
            self.sleep(self.delay(attempt, asked=asked))
