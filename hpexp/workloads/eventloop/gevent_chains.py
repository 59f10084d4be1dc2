"""gevent: the hub's ``loop.run_callback`` chains (callback) and an AsyncResult waited per call
in one greenlet per chain (future).

Runs inside the gevent executor's child process, which has called ``gevent.monkey.patch_all()``
before anything else; this module only uses gevent's own primitives.
"""

from collections.abc import Callable
from functools import partial

import gevent
from gevent.event import AsyncResult, Event

from hpexp.core.model import Model
from hpexp.workloads.eventloop.common import (
    ChainRun,
    Stopwatch,
    start_chains,
)

CALLBACK = "hub loop.run_callback"
FUTURE = "AsyncResult + get in a greenlet"


def callback_chains(targets: list[int], clock: Stopwatch) -> list[int]:
    """Every chain's calls run as hub callbacks; this greenlet sleeps until the last one."""
    run_callback = gevent.get_hub().loop.run_callback
    all_finished = Event()
    counts = start_chains(targets, run_callback, clock, all_finished.set)
    all_finished.wait()
    return [count() for count in counts]


def future_chain(target: int, finish: Callable[[], None]) -> int:
    """One chain as a greenlet: each call returns an AsyncResult that the greenlet waits on."""
    run_callback = gevent.get_hub().loop.run_callback
    calls = 0

    def call(result: AsyncResult) -> None:
        nonlocal calls
        calls += 1
        result.set(calls)

    while True:
        result = AsyncResult()
        run_callback(call, result)
        if result.get() >= target:
            finish()
            return calls


def future_chains(targets: list[int], clock: Stopwatch) -> list[int]:
    clock.start()
    greenlets = [
        gevent.spawn(future_chain, t, partial(clock.finish, i)) for i, t in enumerate(targets)
    ]
    gevent.joinall(greenlets, raise_error=True)
    return [greenlet.value for greenlet in greenlets]


def run(targets: list[int], style: str) -> list[ChainRun]:
    clock = Stopwatch(len(targets))
    if style == "callback":
        return clock.runs(Model.greenlets, CALLBACK, callback_chains(targets, clock))
    return clock.runs(Model.greenlets, FUTURE, future_chains(targets, clock))
