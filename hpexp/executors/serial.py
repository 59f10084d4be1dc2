"""Every task in order in the calling thread: the baseline for every speedup."""

import concurrent.futures
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from hpexp.core.executor import Executor, completed_future
from hpexp.core.model import Model


class SerialExecutor(Executor):
    """No pool, no dispatch: ``map`` is the builtin ``map``, so hpexp adds no overhead."""

    model = Model.inline
    workers_in_this_process = True

    def __init__(self, workers: int) -> None:
        super().__init__(workers)

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        return completed_future(lambda: fn(*args, **kwargs))

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        return map(fn, *iterables)
