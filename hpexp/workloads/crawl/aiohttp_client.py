"""asyncio: one ``aiohttp.ClientSession`` with ``workers`` requests in flight.

``TCPConnector(limit=workers)``: aiohttp's default limit of 100 would silently cap larger sweeps.
"""

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

from hpexp.core.errors import one_line
from hpexp.workloads.crawl.fetch import Fetch, status_error


def crawl(executor: Any, urls: Sequence[str], timeout_s: float) -> list[Fetch]:
    """On ``executor.loop``, the job's asyncio (or uvloop) event loop."""
    return executor.loop.run_until_complete(_crawl(list(urls), executor.workers, timeout_s))


async def _crawl(urls: list[str], workers: int, timeout_s: float) -> list[Fetch]:
    client = "aiohttp.ClientSession"
    in_flight = asyncio.Semaphore(workers)
    connector = aiohttp.TCPConnector(limit=workers)
    timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def fetch(session: aiohttp.ClientSession, url: str) -> Fetch:
        async with in_flight:
            started = time.perf_counter()
            try:
                async with session.get(url) as response:
                    body = await response.read()
                    error = status_error(response.status, body)
            except (aiohttp.ClientError, TimeoutError) as exc:
                return Fetch(started, time.perf_counter(), 0, one_line(exc), client, workers)
            return Fetch(started, time.perf_counter(), len(body), error, client, workers)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        return list(await asyncio.gather(*(fetch(session, url) for url in urls)))
