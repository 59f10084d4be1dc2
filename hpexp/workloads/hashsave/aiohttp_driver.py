"""asyncio: the book's async saver. Hash, hand the save to a task, yield, hash the next.

One ``aiohttp.ClientSession`` with ``TCPConnector(limit=workers)`` and a semaphore of
``workers``: at most ``workers`` saves in flight, while hashing never waits for a save.
"""

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

from hpexp.core.errors import one_line
from hpexp.workloads.hashsave.records import Batch, Hash, Saved, echo_error, hash_password, saved

CLIENT = "aiohttp.ClientSession"


def run(executor: Any, batches: Sequence[Batch], timeout_s: float) -> list[Saved]:
    """On ``executor.loop``, the job's asyncio (or uvloop) event loop."""
    return executor.loop.run_until_complete(_run(list(batches), executor.workers, timeout_s))


async def _run(batches: list[Batch], workers: int, timeout_s: float) -> list[Saved]:
    in_flight = asyncio.Semaphore(workers)
    connector = aiohttp.TCPConnector(limit=workers)
    timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def save(session: aiohttp.ClientSession, batch: Batch, hashes: list[Hash]) -> Saved:
        body = batch.body(tuple(h.value for h in hashes))
        async with in_flight:
            started = time.perf_counter()
            try:
                async with session.post(batch.target, data=body.encode()) as response:
                    error = echo_error(response.status, await response.read(), body)
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = one_line(exc)
            return saved(hashes, (started, time.perf_counter()), error, CLIENT)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        saves = []
        for batch in batches:
            hashes = []
            for password in batch.passwords:
                hashes.append(hash_password(password, batch.difficulty))
                await asyncio.sleep(0)  # let the saves in flight read their answers
            saves.append(asyncio.create_task(save(session, batch, hashes)))
        return list(await asyncio.gather(*saves))
