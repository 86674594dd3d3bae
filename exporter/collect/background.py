"""One helper thread that writes a category's CSV while the pipeline goes on with the next batch.

The CSV encoding of a batch (Arrow kernels, exporter.collect.columnar) and the file's writing and
hashing release the GIL, so on a second core they overlap the JSONL work of the main thread: the
1M-event subject's CSV time came off its full package (bench/run.py). Jobs run one at a time in
the order submitted (the file's bytes do not change); at most ``depth`` wait, so what they hold
(two batches) stays bounded whatever the subject's size. A job's error is raised in the pipeline
at the next submit or at :meth:`finish`, so nothing fails silently.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["Background"]


class Background:
    def __init__(self, name: str, depth: int = 2) -> None:
        self._name = name
        self._depth = depth
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[Any]] = deque()

    def submit(self, job: Callable[..., Any], *args: Any) -> None:
        """Run ``job(*args)`` after the jobs before it; waits while ``depth`` jobs are pending."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix=self._name)
        while len(self._pending) >= self._depth:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(job, *args))

    def finish(self) -> BaseException | None:
        """Wait for every job (none is left running or cancelled half-way) and stop the thread;
        the first job's error, if any."""
        error: BaseException | None = None
        while self._pending:
            exc = self._pending.popleft().exception()
            error = error or exc
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        return error
