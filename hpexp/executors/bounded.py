"""Await a function over many argument tuples with a cap on how many are in flight at once."""

import asyncio
import inspect
from collections.abc import Callable, Iterable
from typing import Any


async def bounded_map(fn: Callable[..., Any], items: Iterable[tuple[Any, ...]], limit: int) -> list:
    """``[await fn(*args) for args in items]``, at most ``limit`` calls running concurrently.

    ``fn`` may return a plain value too. A TaskGroup cancels the remaining calls when one fails,
    so nothing from a failed run keeps running on the loop into the next run; the first failure
    is raised as itself rather than as an ExceptionGroup, so error rows read naturally.
    """
    semaphore = asyncio.Semaphore(limit)

    async def one(args: tuple[Any, ...]) -> Any:
        async with semaphore:
            result = fn(*args)
            return await result if inspect.isawaitable(result) else result

    try:
        async with asyncio.TaskGroup() as group:
            running = [group.create_task(one(args)) for args in items]
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in running]
