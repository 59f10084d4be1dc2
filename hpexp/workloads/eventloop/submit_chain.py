"""Chains of ``executor.submit`` round trips: threads, process pools, dask.

Every call is one task on the executor (``do_hello`` / ``do_world``, alternating as in the book),
and the next one is submitted only when the previous one has completed, so a chain measures the
round-trip dispatch latency; ``chains`` > 1 keeps that many round trips in flight. Each task
returns the chain's call count plus one, so the count proves every call ran where it was sent.

Works with any ``concurrent.futures.Executor`` whose ``submit`` returns a
``concurrent.futures.Future``.
"""

import threading
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from functools import partial

from hpexp.core.model import Model
from hpexp.workloads.eventloop.common import ChainRun, Stopwatch

CALLBACK = "submit + add_done_callback"
FUTURE = "submit + wait"


def do_hello(calls: int) -> int:
    return calls + 1


def do_world(calls: int) -> int:
    return calls + 1


def submit_next(executor: Executor, calls: int) -> Future:
    """Submit the chain's next call: do_hello after an even count, do_world after an odd one."""
    return executor.submit(do_world if calls % 2 else do_hello, calls)


class CallbackChains:
    """Each completion submits the chain's next call from its done callback, on whatever thread
    the executor completes futures (a pool thread, a process pool's management thread).

    ``add_done_callback`` on a future that is already done calls back at once, in the attaching
    thread; such a call is handed back to the attaching loop instead of recursing, so a fast (or
    synchronous) executor cannot exhaust the stack. ``concurrent.futures`` logs and swallows
    exceptions raised in done callbacks, so failures are recorded and re-raised by :meth:`run`.
    """

    def __init__(self, executor: Executor, targets: list[int], clock: Stopwatch) -> None:
        self.executor, self.targets, self.clock = executor, targets, clock
        self.counts = [0] * len(targets)
        self.failures: list[BaseException] = []
        self.remaining = len(targets)
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.attaching = threading.local()

    def run(self) -> list[int]:
        self.clock.start()
        for chain in range(len(self.targets)):
            self.advance(chain, self.attach(chain, submit_next(self.executor, 0)))
        self.stopped.wait()
        if self.failures:
            raise self.failures[0]
        return self.counts

    def attach(self, chain: int, future: Future) -> Future | None:
        """Attach the done callback; returns the future if it completed inline meanwhile."""
        self.attaching.inline = None
        self.attaching.active = True
        try:
            future.add_done_callback(partial(self.on_done, chain))
        finally:
            self.attaching.active = False
        return self.attaching.inline

    def on_done(self, chain: int, future: Future) -> None:
        if getattr(self.attaching, "active", False):
            self.attaching.inline = future
        else:
            self.advance(chain, future)

    def advance(self, chain: int, future: Future | None) -> None:
        """Follow the chain from a completed call until its next call is still pending."""
        try:
            while future is not None:
                calls = self.counts[chain] = future.result()
                if calls >= self.targets[chain]:
                    self.clock.finish(chain)
                    self.stop_chain()
                    return
                future = self.attach(chain, submit_next(self.executor, calls))
        except BaseException as exc:
            self.failures.append(exc)
            self.stop_chain()

    def stop_chain(self) -> None:
        with self.lock:
            self.remaining -= 1
            if self.remaining == 0:
                self.stopped.set()


def run_with_futures(executor: Executor, targets: list[int], clock: Stopwatch) -> list[int]:
    """The caller waits on the chains' futures and submits each chain's next call itself."""
    counts = [0] * len(targets)
    clock.start()
    pending = {submit_next(executor, 0): chain for chain in range(len(targets))}
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            chain = pending.pop(future)
            calls = counts[chain] = future.result()
            if calls < targets[chain]:
                pending[submit_next(executor, calls)] = chain
            else:
                clock.finish(chain)
    return counts


def run(executor: Executor, model: Model, targets: list[int], style: str) -> list[ChainRun]:
    clock = Stopwatch(len(targets))
    if style == "callback":
        return clock.runs(model, CALLBACK, CallbackChains(executor, targets, clock).run())
    return clock.runs(model, FUTURE, run_with_futures(executor, targets, clock))
