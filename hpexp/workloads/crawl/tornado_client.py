"""tornado: ``AsyncHTTPClient(max_clients=workers)`` (its default of 10 would silently cap)."""

import time
from collections.abc import Sequence
from typing import Any

from tornado import gen, locks
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from hpexp.core.errors import one_line
from hpexp.workloads.crawl.fetch import Fetch, status_error


def crawl(executor: Any, urls: Sequence[str], timeout_s: float) -> list[Fetch]:
    """On ``executor.ioloop``, the job's tornado IOLoop."""
    return executor.ioloop.run_sync(lambda: _crawl(list(urls), executor.workers, timeout_s))


async def _crawl(urls: list[str], workers: int, timeout_s: float) -> list[Fetch]:
    client_name = "tornado.AsyncHTTPClient"
    in_flight = locks.Semaphore(workers)
    client = AsyncHTTPClient(force_instance=True, max_clients=workers)

    async def fetch(url: str) -> Fetch:
        async with in_flight:
            started = time.perf_counter()
            try:
                response = await client.fetch(
                    url, connect_timeout=timeout_s, request_timeout=timeout_s
                )
            except HTTPClientError as exc:
                body = exc.response.body if exc.response is not None else b""
                error = status_error(exc.code, body) if exc.code != 599 else one_line(exc)
                return Fetch(started, time.perf_counter(), 0, error, client_name, workers)
            except OSError as exc:
                return Fetch(started, time.perf_counter(), 0, one_line(exc), client_name, workers)
            body = response.body
            return Fetch(
                started,
                time.perf_counter(),
                len(body),
                status_error(response.code, body),
                client_name,
                workers,
            )

    try:
        return list(await gen.multi([fetch(url) for url in urls]))
    finally:
        client.close()
