"""Executors of the ``batches`` model (joblib, the Queue and Pipe workers) have no futures and
no callbacks: every call goes through ``map`` in the executor's batches instead.

So there is no chain to follow: all the chains' calls (no-ops that return their chain's number)
are dispatched through the executor's ``map`` (joblib's one open ``Parallel``, queue items,
pipe messages), which measures dispatch throughput rather than a round trip. Both styles run
this same primitive, and the ``primitive`` column says so.
"""

import itertools
from collections import Counter
from typing import Any

from hpexp.core.model import Model
from hpexp.workloads.eventloop.common import ChainRun, Stopwatch

PRIMITIVE = "map no-op calls in batches"


def do_hello_world(chain_index: int) -> int:
    return chain_index


def run(executor: Any, targets: list[int]) -> list[ChainRun]:
    """Every call through ``executor.map`` in the batches its ``chunksize_for`` gives."""
    total = sum(targets)
    batch = executor.chunksize_for(total)
    calls = itertools.chain.from_iterable(
        itertools.repeat(index, target) for index, target in enumerate(targets)
    )
    clock = Stopwatch(len(targets))
    clock.start()
    returned = list(executor.map(do_hello_world, calls, chunksize=batch))
    for index in range(len(targets)):
        clock.finish(index)
    per_chain = Counter(returned)
    counts = [per_chain[index] for index in range(len(targets))]
    return clock.runs(Model.batches, PRIMITIVE, counts, batch)
