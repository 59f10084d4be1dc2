"""A process pool: true CPU parallelism, paid for with process start-up and pickling."""

import concurrent.futures
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from hpexp.core.errors import require_optional_int
from hpexp.core.executor import (
    Executor,
    even_chunksize,
    start_all_workers,
    started,
)
from hpexp.core.model import Model
from hpexp.core.worker import checked_start_method, start_worker


class PoolExecutor(Executor):
    """``concurrent.futures.ProcessPoolExecutor`` on a context from ``multiprocessing.get_context``.

    The global start method is never changed (:func:`~hpexp.core.worker.checked_start_method`).
    A worker that dies makes the pool raise ``BrokenProcessPool`` instead of hanging, which is why
    this is preferred over ``multiprocessing.Pool``.
    """

    model = Model.processes
    starts_its_workers = True

    def __init__(self, workers: int, start_method: str | None, chunksize: int | None):
        super().__init__(workers)
        self.start_method = checked_start_method(start_method)
        self.chunksize = require_optional_int("chunksize", chunksize, 1)
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def start(self) -> None:
        context = multiprocessing.get_context(self.start_method)
        # each new worker holds at the barrier until all exist (see start_all_workers)
        barrier = context.Barrier(self.workers + 1)
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=start_worker,
            initargs=(os.getpid(), self.handed, barrier.wait),
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
        """The stdlib's shutdown; the pool stays referenced (a second call is the stdlib's,
        harmless, and waits for the pool's manager thread if ``wait``; a submit after it raises
        the stdlib's error): that thread cancels the queued futures later, and only while the
        pool object is alive (it holds a weak reference)."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
