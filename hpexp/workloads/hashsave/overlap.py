"""How much of the save time hid behind hashing: the ``io_overlap`` metric."""

import math
from collections.abc import Iterable

import numpy as np

from hpexp.workloads.hashsave.records import Span


def merged(spans: Iterable[Span]) -> tuple[np.ndarray, np.ndarray]:
    """The union of ``spans`` as sorted, disjoint (starts, ends)."""
    starts: list[float] = []
    ends: list[float] = []
    for start, end in sorted(spans):
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return np.array(starts), np.array(ends)


def io_overlap(hash_spans: Iterable[Span], save_spans: list[Span]) -> float:
    """The share of the total save latency during which some hash was running (0..1).

    0: every save waited alone (serial); near 1: the saves ran while the CPU hashed (async),
    so the I/O cost no wall time. NaN when nothing was saved.
    """
    total = sum(end - start for start, end in save_spans)
    if total <= 0:
        return math.nan
    starts, ends = merged(hash_spans)
    if not len(starts):
        return 0.0
    hidden = sum(
        float(np.clip(np.minimum(ends, end) - np.maximum(starts, start), 0, None).sum())
        for start, end in save_spans
    )
    return hidden / total
