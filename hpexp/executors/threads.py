"""A thread pool: concurrency for I/O, and the GIL's cost for pure-Python CPU work."""

import concurrent.futures
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from hpexp.core.executor import Executor, start_all_workers, started
from hpexp.core.model import Model


class ThreadsExecutor(Executor):
    """``ThreadPoolExecutor(max_workers=workers)``, every thread started in setup."""

    model = Model.threads
    workers_in_this_process = True

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    def start(self) -> None:
        barrier = threading.Barrier(self.workers + 1)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.workers, thread_name_prefix="hpexp", initializer=barrier.wait
        )
        start_all_workers(self._pool.submit, self.workers, barrier)

    def settings(self, task_count: int) -> dict[str, Any]:
        return {"max_workers": self.workers}

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
        return started(self._pool, self).map(fn, *iterables, timeout=timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
            self._pool = None
