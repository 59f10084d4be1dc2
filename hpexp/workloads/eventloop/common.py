"""What every driver returns, the book's hello/world pair, and the clock they share."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

#: a scheduling primitive: takes a no-argument function and runs it later
Schedule = Callable[[Callable[[], None]], Any]


@dataclass(frozen=True)
class ChainRun:
    """One chain's result: how many calls ran, between which ``perf_counter`` instants.

    ``started`` is when the driver began dispatching (shared by every chain of a run),
    ``finished`` when this chain's last call completed; both come from ``time.perf_counter``
    (CLOCK_MONOTONIC on Linux, one clock for every process of the machine). ``primitive`` names
    what was measured, so rows of different models are never compared as if alike.
    ``dispatch_batch`` is how many calls one dispatch carries (None: the library adapts it).
    """

    model: str
    primitive: str
    chain: int
    calls: int
    started: float
    finished: float
    dispatch_batch: int | None = 1


class Stopwatch:
    """The start of a run and each chain's finish, taken in the process that drives the chains."""

    def __init__(self, chains: int) -> None:
        self.started = math.nan
        self.finished = [math.nan] * chains

    def start(self) -> None:
        self.started = time.perf_counter()

    def finish(self, chain: int) -> None:
        self.finished[chain] = time.perf_counter()

    def runs(
        self, model: str, primitive: str, counts: list[int], dispatch_batch: int | None = 1
    ) -> list[ChainRun]:
        return [
            ChainRun(
                model, primitive, chain, calls, self.started, self.finished[chain], dispatch_batch
            )
            for chain, calls in enumerate(counts)
        ]


def callback_chain(
    target: int, schedule: Schedule, finish: Callable[[], None]
) -> tuple[Callable[[], None], Callable[[], int]]:
    """The book's pair: ``do_hello`` schedules ``do_world`` and vice versa, ``target`` calls in all.

    Unlike the book's endless loop, the last call schedules nothing and calls ``finish``, so a
    loop that runs until its queue is empty terminates. Returns the first call to schedule and
    a function that reads how many calls have run (closures, not attributes: they are faster,
    so the chain adds as little as possible to the primitive it measures).
    """
    calls = 0

    def do_hello() -> None:
        nonlocal calls
        calls += 1
        if calls < target:
            schedule(do_world)
        else:
            finish()

    def do_world() -> None:
        nonlocal calls
        calls += 1
        if calls < target:
            schedule(do_hello)
        else:
            finish()

    def count() -> int:
        return calls

    return do_hello, count


class Countdown:
    """Stamps each chain's finish and calls ``then`` once the last chain has finished.

    For loops that run every chain in one thread, so a plain counter is safe.
    """

    def __init__(self, clock: Stopwatch, chains: int, then: Callable[[], Any]) -> None:
        self.clock, self.left, self.then = clock, chains, then

    def finisher(self, chain: int) -> Callable[[], None]:
        return partial(self.finish, chain)

    def finish(self, chain: int) -> None:
        self.clock.finish(chain)
        self.left -= 1
        if self.left == 0:
            self.then()


def start_chains(
    targets: list[int], schedule: Schedule, clock: Stopwatch, then: Callable[[], Any]
) -> list[Callable[[], int]]:
    """Start one hello/world chain per target on ``schedule``; ``then`` runs after the last.

    The clock starts just before the first calls are scheduled. Returns each chain's call
    counter; the caller waits for ``then`` with its own library's primitive.
    """
    countdown = Countdown(clock, len(targets), then)
    chains = [
        callback_chain(target, schedule, countdown.finisher(index))
        for index, target in enumerate(targets)
    ]
    clock.start()
    for first, _ in chains:
        schedule(first)
    return [count for _, count in chains]
