"""tornado: ``IOLoop.add_callback`` chains (callback) and a tornado Future awaited per call
(future), on the executor's own ``IOLoop`` (``executor.ioloop``)."""

from collections.abc import Callable
from functools import partial

from tornado import gen
from tornado.concurrent import Future, future_set_result_unless_cancelled
from tornado.ioloop import IOLoop

from hpexp.core.model import Model
from hpexp.workloads.eventloop.common import (
    ChainRun,
    Stopwatch,
    start_chains,
)

CALLBACK = "IOLoop.add_callback"
FUTURE = "tornado Future + await"


async def callback_chains(ioloop: IOLoop, targets: list[int], clock: Stopwatch) -> list[int]:
    """Every chain's calls go through ``add_callback``; nothing awaits them."""
    all_finished: Future = Future()
    finished = partial(future_set_result_unless_cancelled, all_finished, None)
    counts = start_chains(targets, ioloop.add_callback, clock, finished)
    await all_finished
    return [count() for count in counts]


async def future_chain(ioloop: IOLoop, target: int, finish: Callable[[], None]) -> int:
    """One chain as a coroutine: each call returns a Future of its result that it awaits."""
    calls = 0

    def call(future: Future) -> None:
        nonlocal calls
        calls += 1
        future_set_result_unless_cancelled(future, calls)

    while True:
        future: Future = Future()
        ioloop.add_callback(call, future)
        if await future >= target:
            finish()
            return calls


async def future_chains(ioloop: IOLoop, targets: list[int], clock: Stopwatch) -> list[int]:
    clock.start()
    chains = [future_chain(ioloop, t, partial(clock.finish, i)) for i, t in enumerate(targets)]
    return list(await gen.multi(chains))


def run(ioloop: IOLoop, targets: list[int], style: str) -> list[ChainRun]:
    clock = Stopwatch(len(targets))
    if style == "callback":
        counts = ioloop.run_sync(partial(callback_chains, ioloop, targets, clock))
        return clock.runs(Model.tornado, CALLBACK, counts)
    counts = ioloop.run_sync(partial(future_chains, ioloop, targets, clock))
    return clock.runs(Model.tornado, FUTURE, counts)
