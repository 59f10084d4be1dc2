"""joblib has no submit and no callbacks: every call goes through one ``Parallel`` instead.

So there is no chain to follow: all the chains' calls (no-ops that return their chain's number)
are dispatched through the executor's open ``Parallel`` in its batches, which measures joblib's
dispatch throughput rather than a round trip. Both styles run this same primitive, and the
``primitive`` column says so.
"""

import itertools
from collections import Counter
from typing import Any

from hpexp.workloads.eventloop_native.common import ChainRun, Stopwatch

PRIMITIVE = "joblib.Parallel no-op calls"


def do_hello_world(chain_index: int) -> int:
    return chain_index


def run(executor: Any, targets: list[int]) -> list[ChainRun]:
    """``executor`` is hpexp's JoblibExecutor: its ``map`` goes through the open ``Parallel``."""
    total = sum(targets)
    batch = executor.batch_size_for(total)
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
    return clock.runs("joblib", PRIMITIVE, counts, batch if isinstance(batch, int) else None)
