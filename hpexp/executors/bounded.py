"""The event-loop executors' generic path: ``workload.arun`` over the tasks, a cap on how many
are in flight at once."""

import asyncio
import inspect
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from hpexp.core.workload import Workload


class NoOverlap(UserWarning):
    """A workload without ``arun`` on an event loop: its tasks run one at a time."""


class AwaitsArun:
    """``run_tasks`` for an executor whose loop awaits ``workload.arun``; ``arun`` records
    (as ``executor.arun``) whether the tasks could overlap: ``awaited`` (the workload's own
    coroutine) or ``inline`` (``Workload.arun``'s default calls ``run``, which never yields)."""

    model: Any
    map: Callable[..., Iterator[Any]]  # the executor's own (concurrent.futures.Executor.map)
    arun: str | None = None

    def run_tasks(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        inline = type(workload).arun is Workload.arun
        self.arun = "inline" if inline else "awaited"
        if inline:
            warnings.warn(
                f"hpexp: {type(workload).__name__} has no arun: on {self.model.value} its tasks "
                "ran one at a time (give it an async def arun to overlap them)",
                NoOverlap,
                stacklevel=2,
            )
        return list(self.map(workload.arun, tasks))


async def bounded_map(fn: Callable[..., Any], items: Iterable[tuple[Any, ...]], limit: int) -> list:
    """``[await fn(*args) for args in items]``, at most ``limit`` calls running concurrently.

    ``fn`` may return a plain value too. When one call fails the remaining calls are cancelled
    (by the TaskGroup, and by a flag for calls that never yield: a blocking workload's ``run``,
    where the interrupt or the trial's time limit lands), so nothing from a failed run keeps
    running on the loop into the next run, or past Ctrl-C or ``trial_timeout_s``; the first failure
    is raised as itself rather than as an ExceptionGroup, so error rows read naturally. An
    interrupt (SIGTERM's ``Terminated`` raised inside a call, ``sys.exit``) comes first, so it
    stops the sweep as itself instead of as a group's traceback.
    """
    semaphore = asyncio.Semaphore(limit)
    failed = False

    async def one(args: tuple[Any, ...]) -> Any:
        nonlocal failed
        async with semaphore:
            if failed:
                # a call that never yields to the loop finishes before the TaskGroup's own
                # cancellation can reach the calls queued behind it: they stop here instead
                raise asyncio.CancelledError
            try:
                result = fn(*args)
                return await result if inspect.isawaitable(result) else result
            except BaseException:
                failed = True
                raise

    try:
        async with asyncio.TaskGroup() as group:
            running = [group.create_task(one(args)) for args in items]
    except BaseExceptionGroup as failures:
        first = next(
            (e for e in failures.exceptions if not isinstance(e, Exception)),
            failures.exceptions[0],
        )
        raise first from None
    return [task.result() for task in running]
