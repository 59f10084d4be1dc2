"""The executor contract: a ``concurrent.futures.Executor`` that also knows how to start and
describe itself.

hpexp calls, in this order: ``start()`` (timed as ``setup_s``, never inside ``wall_s``), then
``run(workload, tasks)`` once per warmup and measured repeat, then ``shutdown()``. ``submit`` and
``map`` keep their standard meaning, so executors compose with code written for the stdlib.
"""

import concurrent.futures
import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

from hpexp.errors import require_int
from hpexp.workloads.base import Workload

#: how long starting a pool's workers may take before setup is declared failed
STARTUP_TIMEOUT_S = 120.0


class Executor(concurrent.futures.Executor):
    """Base for hpexp executors; subclasses set up their machinery in :meth:`start`."""

    #: the concurrency model, used to find a workload's native implementation for it
    kind: ClassVar[str] = ""
    #: distributions whose versions are recorded as ``version.<name>`` columns
    libraries: ClassVar[tuple[str, ...]] = ()

    def __init__(self, workers: int) -> None:
        self.workers = require_int("workers", workers, 1)

    def start(self) -> None:
        """Start pools, loops or clusters so the first measured run pays no start-up cost."""

    def __enter__(self) -> "Executor":
        self.start()
        return self

    def settings(self, task_count: int) -> dict[str, Any]:
        """Effective settings and library limits used for ``task_count`` tasks.

        Recorded as ``executor.<key>`` columns, so hidden library caps are visible in results.
        """
        return {}

    def run(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        """Run every task and return the results in task order.

        A workload that defines ``run_on_<kind>(executor, tasks)`` for this executor's
        :attr:`kind` runs that instead: its own use of the model's native primitive (an aiohttp
        session on asyncio, ``call_soon`` chains, ...). Otherwise :meth:`run_tasks` does.
        """
        native = getattr(workload, f"run_on_{self.kind}", None) if self.kind else None
        if native is not None:
            return list(native(self, tasks))
        return self.run_tasks(workload, tasks)

    def run_tasks(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        """The generic way: ``workload.run`` over the tasks through :meth:`map`."""
        return list(self.map(workload.run, tasks))


def completed_future(call: Callable[[], Any]) -> concurrent.futures.Future:
    """A future already holding ``call()``'s result or exception.

    ``submit`` for executors that finish the work before returning (serial, event loops run from
    the calling thread, a child process answering over a pipe).
    """
    future: concurrent.futures.Future = concurrent.futures.Future()
    try:
        future.set_result(call())
    except BaseException as exc:
        future.set_exception(exc)
    return future


class BatchExecutor(Executor, ABC):
    """An executor whose machinery runs a whole batch of calls and returns when all are done.

    Event loops driven from the calling thread and a child process answering over a pipe work
    this way; ``submit`` and ``map`` are then batches of one and of many.
    """

    @abstractmethod
    def run_batch(
        self, fn: Callable[..., Any], items: list[tuple[Any, ...]], timeout: float | None
    ) -> list[Any]:
        """``[fn(*args) for args in items]`` on this executor's machinery, in order."""

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        call = functools.partial(fn, **kwargs)
        return completed_future(lambda: self.run_batch(call, [args], None)[0])

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        return iter(self.run_batch(fn, list(zip(*iterables, strict=True)), timeout))


def even_chunksize(tasks: int, workers: int) -> int:
    """Tasks per dispatch that split ``tasks`` evenly over ``workers`` (the book's split)."""
    return max(1, math.ceil(tasks / workers))


def optional_chunksize(chunksize: int | None) -> int | None:
    return None if chunksize is None else require_int("chunksize", chunksize, 1)


def start_all_workers(
    submit: Callable[..., concurrent.futures.Future], workers: int, barrier: Any
) -> None:
    """Make a lazily-spawning pool start all ``workers`` now.

    Each worker's initializer waits on ``barrier`` (``workers`` + 1 parties), so no worker is idle
    while the no-op tasks are submitted and the pool has to spawn one per task; the caller's own
    ``wait`` returns once every worker is up.
    """
    futures = [submit(_noop) for _ in range(workers)]
    barrier.wait(timeout=STARTUP_TIMEOUT_S)
    for future in futures:
        future.result(timeout=STARTUP_TIMEOUT_S)


def _noop() -> None:
    """A task that only proves a worker is alive."""
