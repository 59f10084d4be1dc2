"""The executor contract: a ``concurrent.futures.Executor`` that also knows how to start and
describe itself, and which concurrency model it offers.

hpexp calls, in this order: ``start()`` (timed as ``setup_s``, never inside ``wall_s``), then
``run(workload, tasks)`` once per warmup and measured repeat, then ``shutdown()``. ``submit`` and
``map`` keep their standard meaning, so executors compose with code written for the stdlib; a
call before ``start()`` raises :class:`NotStarted`, and a second ``shutdown()`` does nothing.
"""

import concurrent.futures
import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar, TypeVar

from hpexp.core.errors import require_int
from hpexp.core.model import Model
from hpexp.core.shared import CannotShare
from hpexp.core.worker import Handed
from hpexp.core.workload import Workload

#: how long starting a pool's workers may take before setup is declared failed
STARTUP_TIMEOUT_S = 120.0

T = TypeVar("T")


class NotStarted(RuntimeError):
    """An executor was used before ``start()`` (or after ``shutdown()``)."""


def started(machinery: T | None, executor: object) -> T:
    """``machinery`` (a pool, loop or client), or :class:`NotStarted` when there is none."""
    if machinery is None:
        raise NotStarted(f"{type(executor).__name__} is not started: call start() first")
    return machinery


class Executor(concurrent.futures.Executor):
    """Base for hpexp executors; subclasses set up their machinery in :meth:`start`."""

    #: the concurrency model; None: no workload has a native driver for it (generic path only)
    model: ClassVar[Model | None] = None
    #: distributions whose versions are recorded as ``version.<name>`` columns
    libraries: ClassVar[tuple[str, ...]] = ()
    #: every task runs in this process (threads, event loops), so state set here reaches them
    workers_in_this_process: ClassVar[bool] = False
    #: its worker processes are its own children, which run :attr:`handed` as they start
    starts_its_workers: ClassVar[bool] = False

    def __init__(self, workers: int) -> None:
        self.workers = require_int("workers", workers, 1)
        #: what every worker process runs first (see :meth:`hand_over`)
        self.handed: Handed = None

    def hand_over(self, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
        """Run ``initializer(*initargs)`` in every worker as it starts; called before ``start``.

        The stdlib's ``initializer``/``initargs``: how a workload's shared state (a
        ``multiprocessing.Value``, a lock, an array) reaches workers, which can inherit it only
        as they are created. Executors whose workers are not theirs to create (a dask cluster)
        raise :class:`~hpexp.core.shared.CannotShare`, and the cell is skipped.
        """
        if self.workers_in_this_process:
            initializer(*initargs)
        elif self.starts_its_workers:
            self.handed = (initializer, initargs)
        else:
            raise CannotShare(f"{type(self).__name__} cannot hand shared state to its workers")

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

    def chunksize_for(self, task_count: int) -> int | None:
        """Tasks per dispatch for ``task_count`` tasks: 1 is one at a time, None lets the
        library adapt it (joblib's ``auto``)."""
        return 1

    def run(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        """Run every task and return the results in task order.

        The workload's native driver for this executor's :attr:`model` runs if it has one (an
        aiohttp session on asyncio, ``call_soon`` chains, ...); otherwise :meth:`run_tasks`.
        """
        native = workload.driver(self.model) if self.model else None
        if native is not None:
            return list(native(self, tasks))
        return self.run_tasks(workload, tasks)

    def run_tasks(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        """The generic way: ``workload.run`` over the tasks through :meth:`map`."""
        return list(self.map(workload.run, tasks, chunksize=self.chunksize_for(len(tasks))))


def completed_future(call: Callable[[], Any]) -> concurrent.futures.Future:
    """A future already holding ``call()``'s result or exception.

    ``submit`` for executors that finish the work before returning (serial, event loops run from
    the calling thread, a child process answering over a pipe, joblib's one ``Parallel``).
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
