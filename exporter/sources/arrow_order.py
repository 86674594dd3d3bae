"""Is a stream of Arrow record batches already in ``ORDER BY`` order? (strictly, NULLs last)

The parquet source's chunked sort is the dearest part of a big subject's read (measured on the
1M-event subject: 1.56 s sorted against 0.32 s for the same rows unsorted), yet logs are mostly
written in time order. :class:`OrderCheck` sees the batches one by one, keeping only the last
key, and says whether every row's key is strictly greater than the one before: ascending,
lexicographic over the key columns, a NULL after every value (DuckDB's ``default_null_order``).
Strictly: with no two rows sharing a key, the order the rows came in is the one order
``ORDER BY`` can give, so skipping the sort changes no byte. Values Arrow cannot order as DuckDB
does (NaN) never count as greater, so such a stream is sorted as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["OrderCheck"]


def _after(prev: pa.Array, cur: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(cur > prev, cur == prev) per row, with NULL the greatest value; never NULL."""
    pn, cn = pc.is_null(prev), pc.is_null(cur)
    both = pc.and_(pc.invert(pn), pc.invert(cn))
    gt = pc.or_(pc.and_(pc.invert(pn), cn), pc.fill_null(pc.and_kleene(both, pc.greater(cur, prev)), False))
    eq = pc.or_(pc.and_(pn, cn), pc.fill_null(pc.and_kleene(both, pc.equal(cur, prev)), False))
    return gt, eq


class OrderCheck:
    """Feed batches in stream order; :attr:`ok` stays True while the keys strictly increase."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        self.ok = True
        self._last: list[pa.Array] | None = None

    def feed(self, batch: pa.RecordBatch) -> bool:
        if not self.ok or not batch.num_rows:
            return self.ok
        cols = [batch.column(k) for k in self.keys]
        if self._last is not None:
            cols = [pa.concat_arrays([last, col]) for last, col in zip(self._last, cols, strict=True)]
        n = len(cols[0])
        if n > 1 and not self._first_key_increases(cols[0]):
            greater = pa.array([False] * (n - 1))
            equal = pa.array([True] * (n - 1))
            for col in cols:
                gt, eq = _after(col.slice(0, n - 1), col.slice(1))
                greater = pc.or_(greater, pc.and_(equal, gt))
                equal = pc.and_(equal, eq)
            self.ok = bool(pc.all(greater).as_py())
        self._last = [col.slice(n - 1) for col in cols]
        return self.ok

    @staticmethod
    def _first_key_increases(col: pa.Array) -> bool:
        """The usual case, cheaply: no NULL, and the first key alone strictly increases."""
        return bool(col.null_count == 0 and pc.all(pc.greater(col.slice(1), col.slice(0, len(col) - 1))).as_py())
