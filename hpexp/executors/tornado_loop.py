"""Tornado's IOLoop: the book's other event-loop framework (chapter 8), on asyncio underneath."""

import concurrent.futures
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from tornado.ioloop import IOLoop

from hpexp.executors.base import Executor
from hpexp.executors.inflight import bounded_map
from hpexp.workloads.base import Workload


class TornadoExecutor(Executor):
    """A fresh ``tornado.ioloop.IOLoop`` per job, in ``self.ioloop``, run from the calling thread.

    The generic path awaits ``workload.arun`` over the tasks inside ``ioloop.run_sync`` with at
    most ``workers`` in flight. A workload's native ``run_on_tornado(executor, tasks)`` calls
    ``executor.ioloop.run_sync(fn)`` itself (e.g. with ``AsyncHTTPClient(max_clients=workers)``).
    """

    kind = "tornado"
    libraries = ("tornado",)

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self.ioloop: IOLoop | None = None

    def start(self) -> None:
        self.ioloop = IOLoop(make_current=False)

    def settings(self, task_count: int) -> dict[str, Any]:
        return {"max_in_flight": self.workers}

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            (result,) = self._run(lambda: fn(*args, **kwargs), [()], timeout=None)
            future.set_result(result)
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        return iter(self._run(fn, zip(*iterables, strict=True), timeout))

    def _run(
        self, fn: Callable[..., Any], items: Iterable[tuple[Any, ...]], timeout: float | None
    ) -> list[Any]:
        assert self.ioloop is not None, "start() first"
        return self.ioloop.run_sync(lambda: bounded_map(fn, items, self.workers), timeout=timeout)

    def run_tasks(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        return list(self.map(workload.arun, tasks))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self.ioloop is not None:
            self.ioloop.close()
            self.ioloop = None
