"""asyncio: ``loop.call_soon`` chains (callback) and a future awaited per call (future).

Runs on the executor's own loop (``executor.loop``: asyncio's or uvloop's), so the loop
implementation is what the ``executor.loop`` column says.
"""

import asyncio
from collections.abc import Callable
from functools import partial

from hpexp.core.model import Model
from hpexp.workloads.eventloop.common import (
    ChainRun,
    Stopwatch,
    start_chains,
)

CALLBACK = "loop.call_soon"
FUTURE = "loop.create_future + await"


async def callback_chains(
    loop: asyncio.AbstractEventLoop, targets: list[int], clock: Stopwatch
) -> list[int]:
    """Every chain's calls go straight onto the loop's ready queue; nothing awaits them."""
    all_finished = loop.create_future()
    counts = start_chains(targets, loop.call_soon, clock, lambda: all_finished.set_result(None))
    await all_finished
    return [count() for count in counts]


async def future_chain(
    loop: asyncio.AbstractEventLoop, target: int, finish: Callable[[], None]
) -> int:
    """One chain as a task: each call returns a future of its result that the chain awaits."""
    calls = 0

    def call(future: asyncio.Future) -> None:
        nonlocal calls
        calls += 1
        future.set_result(calls)

    while True:
        future = loop.create_future()
        loop.call_soon(call, future)
        if await future >= target:
            finish()
            return calls


async def future_chains(
    loop: asyncio.AbstractEventLoop, targets: list[int], clock: Stopwatch
) -> list[int]:
    clock.start()
    chains = (future_chain(loop, t, partial(clock.finish, i)) for i, t in enumerate(targets))
    return list(await asyncio.gather(*chains))


def run(loop: asyncio.AbstractEventLoop, targets: list[int], style: str) -> list[ChainRun]:
    clock = Stopwatch(len(targets))
    if style == "callback":
        counts = loop.run_until_complete(callback_chains(loop, targets, clock))
        return clock.runs(Model.asyncio, CALLBACK, counts)
    counts = loop.run_until_complete(future_chains(loop, targets, clock))
    return clock.runs(Model.asyncio, FUTURE, counts)
