"""The book's event loop in one thread: a queue of functions, run until it is empty.

The queue is a ``collections.deque``, not the book's ``queue.Queue``: ``Queue`` exists to hand
work between threads and takes a lock and a condition on every ``put`` and ``get``; one thread
needs none of that, and ``deque.append`` / ``popleft`` are O(1), so the loop measures
scheduling itself rather than locking.
"""

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial

from hpexp.core.model import Model
from hpexp.workloads.eventloop.common import ChainRun, Schedule, Stopwatch, callback_chain

CALLBACK = "deque loop"
FUTURE = "deque loop + Future per call"


def run_loop(queue: deque[Callable[[], None]]) -> None:
    """The book's ``EventLoop.start``, ending when no function is left to run."""
    popleft = queue.popleft
    while queue:
        popleft()()


def future_chain(
    target: int, schedule: Schedule, finish: Callable[[], None]
) -> tuple[Callable[[], None], Callable[[], int]]:
    """The future paradigm on one thread: each step returns the future of its call.

    A thread that runs the loop cannot block on the future, so "waiting" is registering the
    next step as the future's done callback; the loop runs the call, which resolves the future.
    """
    calls = 0

    def call(future: Future) -> None:
        nonlocal calls
        calls += 1
        future.set_result(calls)

    def step() -> Future:
        future: Future = Future()
        schedule(partial(call, future))
        return future

    def resume(done: Future) -> None:
        if done.result() < target:
            step().add_done_callback(resume)
        else:
            finish()

    def start() -> None:
        step().add_done_callback(resume)

    def count() -> int:
        return calls

    return start, count


def run(targets: list[int], style: str) -> list[ChainRun]:
    queue: deque[Callable[[], None]] = deque()
    clock = Stopwatch(len(targets))
    make = callback_chain if style == "callback" else future_chain
    chains = [make(t, queue.append, partial(clock.finish, i)) for i, t in enumerate(targets)]
    clock.start()
    queue.extend(first for first, _ in chains)
    run_loop(queue)
    primitive = CALLBACK if style == "callback" else FUTURE
    return clock.runs(Model.inline, primitive, [count() for _, count in chains])
