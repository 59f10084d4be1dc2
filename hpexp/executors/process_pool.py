"""A process pool: true CPU parallelism, paid for with process start-up and pickling."""

import concurrent.futures
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from hpexp.core.errors import require_choice
from hpexp.core.executor import (
    Executor,
    even_chunksize,
    optional_chunksize,
    start_all_workers,
    started,
)
from hpexp.core.model import Model


def _wait_at(barrier: Any) -> None:
    """Worker initializer: hold every new worker until all of them exist (see start_all_workers)."""
    barrier.wait()


class ProcessPoolExecutor(Executor):
    """``concurrent.futures.ProcessPoolExecutor`` on a context from ``multiprocessing.get_context``.

    The global start method is never changed, so one sweep can compare fork, spawn and forkserver.
    A worker that dies makes the pool raise ``BrokenProcessPool`` instead of hanging, which is why
    this is preferred over ``multiprocessing.Pool``.
    """

    model = Model.processes

    def __init__(self, workers: int, start_method: str | None = None, chunksize: int | None = None):
        super().__init__(workers)
        methods = tuple(multiprocessing.get_all_start_methods())
        # the platform default is listed first
        self.start_method = require_choice("start_method", start_method or methods[0], methods)
        self.chunksize = optional_chunksize(chunksize)
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def start(self) -> None:
        context = multiprocessing.get_context(self.start_method)
        barrier = context.Barrier(self.workers + 1)
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_wait_at, initargs=(barrier,)
        )
        start_all_workers(self._pool.submit, self.workers, barrier)

    def chunksize_for(self, task_count: int) -> int:
        return self.chunksize or even_chunksize(task_count, self.workers)

    def settings(self, task_count: int) -> dict[str, Any]:
        return {
            "max_workers": self.workers,
            "start_method": self.start_method,
            "chunksize": self.chunksize_for(task_count),
        }

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        return started(self._pool, self).submit(fn, *args, **kwargs)

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        return started(self._pool, self).map(fn, *iterables, timeout=timeout, chunksize=chunksize)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
            self._pool = None
