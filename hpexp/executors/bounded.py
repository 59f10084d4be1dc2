"""Await a function over many argument tuples with a cap on how many are in flight at once."""

import asyncio
import inspect
from collections.abc import Callable, Iterable
from typing import Any


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
