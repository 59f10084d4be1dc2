"""Tornado's IOLoop: the book's other event-loop framework (chapter 8), on asyncio underneath."""

from collections.abc import Callable
from typing import Any

from tornado.ioloop import IOLoop

from hpexp.core.executor import BatchExecutor, started
from hpexp.core.model import Model
from hpexp.executors.bounded import AwaitsArun, bounded_map


class TornadoExecutor(AwaitsArun, BatchExecutor):
    """A fresh ``tornado.ioloop.IOLoop`` per job, in ``self.ioloop``, run from the calling thread.

    The generic path awaits ``workload.arun`` over the tasks inside ``ioloop.run_sync`` with at
    most ``workers`` in flight. A workload's native driver for the ``tornado`` model calls
    ``executor.ioloop.run_sync(fn)`` itself (e.g. with ``AsyncHTTPClient(max_clients=workers)``).
    """

    model = Model.tornado
    workers_in_this_process = True
    libraries = ("tornado",)

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self.ioloop: IOLoop | None = None

    def start(self) -> None:
        self.ioloop = IOLoop(make_current=False)

    def settings(self, task_count: int) -> dict[str, Any]:
        return {"max_in_flight": self.workers, "arun": self.arun}

    def run_batch(
        self, fn: Callable[..., Any], items: list[tuple[Any, ...]], timeout: float | None
    ) -> list[Any]:
        ioloop = started(self.ioloop, self)
        return ioloop.run_sync(lambda: bounded_map(fn, items, self.workers), timeout=timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self.ioloop is not None:
            self.ioloop.close()
            self.ioloop = None
