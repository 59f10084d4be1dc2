"""Processes that each own one end of a ``multiprocessing.Pipe``: the cheapest channel between
two processes, with no queue and no lock, at the price of dealing the tasks out up front.

Each run deals the tasks to the workers, ``round_robin`` (task i to worker i mod workers) or in
contiguous ``block`` s, sends every worker its share as one message and reads one reply back
from each. Results come back in task order.
"""

import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from hpexp.core.errors import require_choice
from hpexp.core.executor import Executor, even_chunksize, started
from hpexp.core.model import Model
from hpexp.core.processes import GRACE_S
from hpexp.core.worker import checked_start_method
from hpexp.executors.mp_workers import (
    POLL_S,
    STOP,
    Message,
    Runs,
    WorkerDied,
    Workers,
    pipe_worker,
    tasks_of,
    unpack,
)

DEALS = ("round_robin", "block")


def deal(count: int, workers: int, how: str) -> list[list[int]]:
    """Which task indices each worker gets."""
    if how == "round_robin":
        return [list(range(worker, count, workers)) for worker in range(workers)]
    size = even_chunksize(count, workers)
    return [
        list(range(start, min(start + size, count))) for start in range(0, size * workers, size)
    ]


class MpPipeExecutor(Executor):
    """``workers`` processes, each answering the messages on its own Pipe."""

    model = Model.batches
    starts_its_workers = True

    def __init__(self, workers: int, start_method: str | None, deal: str) -> None:
        super().__init__(workers)
        self.start_method = checked_start_method(start_method)
        self.deal = require_choice("deal", deal, DEALS)
        self._workers: Workers | None = None
        self._runs = Runs()
        self._conns: list[Any] = []

    def start(self) -> None:
        context = multiprocessing.get_context(self.start_method)
        pipes = [context.Pipe() for _ in range(self.workers)]
        self._conns = [parent for parent, _ in pipes]
        try:
            self._workers = Workers(
                context, self.workers, pipe_worker, lambda i: (pipes[i][1],), self.handed
            )
        finally:
            for _, child in pipes:
                child.close()  # the workers hold their ends; a dead worker then reads as EOF

    def chunksize_for(self, task_count: int) -> int:
        return even_chunksize(task_count, self.workers)

    def settings(self, task_count: int) -> dict[str, Any]:
        return {"processes": self.workers, "start_method": self.start_method, "deal": self.deal}

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        """``fn`` over the items, each worker's share in one message; ``chunksize`` is unused."""
        workers = started(self._workers, self)
        items, star = tasks_of(iterables)
        shares = deal(len(items), self.workers, self.deal)
        run = self._runs.announce(fn, star, False, workers.controls)
        for conn, share in zip(self._conns, shares, strict=True):
            conn.send(Message(0, run, [items[i] for i in share]))
        deadline = None if timeout is None else time.monotonic() + timeout
        results: list[Any] = [None] * len(items)
        for conn, share in zip(self._conns, shares, strict=True):
            _, values = unpack(self._reply(conn, workers, deadline))
            for index, value in zip(share, values, strict=True):
                results[index] = value
        return iter(results)

    @staticmethod
    def _reply(conn: Any, workers: Workers, deadline: float | None) -> Any:
        while not conn.poll(POLL_S):
            workers.check()
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("the workers' replies did not arrive in time")
        try:
            return conn.recv()
        except EOFError:
            workers.check(wait_s=GRACE_S)  # the worker that closed its end is exiting
            raise WorkerDied("a worker closed its pipe while its tasks were pending") from None

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        workers, self._workers = self._workers, None
        if workers is None:
            return
        for conn in self._conns:
            try:
                conn.send(STOP)
            except OSError:  # that worker is gone already
                continue
        workers.stop()
        for conn in self._conns:
            conn.close()
        self._conns = []
