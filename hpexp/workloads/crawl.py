"""The book's chapter 8 crawl: N GETs to a server that sleeps ``delay`` ms before answering.

Serial takes N x delay; a client with ``workers`` requests in flight approaches
N x delay / workers. Every executor runs it with its own HTTP client and concurrency primitive:

* serial, threads, pool, joblib (the generic :meth:`Crawl.run`): one ``requests.Session`` per
  thread (so per process), each with a one-connection pool, as each serves one request at a time;
* asyncio: one ``aiohttp.ClientSession`` with ``TCPConnector(limit=workers)`` (aiohttp's default
  limit of 100 would silently cap larger sweeps) and ``workers`` requests in flight;
* tornado: ``AsyncHTTPClient(max_clients=workers)`` (its default of 10 silently caps);
* gevent: a ``gevent.pool.Pool`` of ``workers`` greenlets sharing one ``requests.Session`` whose
  pool holds ``workers`` connections, on sockets patched in the gevent executor's child process.

Each request's result records which client made it and that client's connection limit, so the
limits every executor set land in the ``client`` and ``client_limit`` columns.
"""

import asyncio
import random
import string
import threading
import time
from typing import Any, NamedTuple

import aiohttp
import numpy as np
import requests
from requests.adapters import HTTPAdapter
from tornado import gen, locks
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from hpexp.errors import ConfigError, one_line, require_int, require_seconds
from hpexp.server_process import ServerProcess
from hpexp.workloads.base import Outcome, Workload

#: the server's endpoint and the label the book's URLs carry
PATH = "/add"
NAME = "hpexp"


class Fetch(NamedTuple):
    """One request's result: how long it took, what came back, and which client sent it.

    A NamedTuple: cheap to create inside the timed region and to pickle back from workers.
    """

    latency_s: float
    size: int
    error: str | None
    client: str
    client_limit: int


def status_error(status: int, body: bytes) -> str | None:
    """None for a 200, else the status and the first line of the body (the server's reason)."""
    if status == 200:
        return None
    first_line = body.decode(errors="replace").strip().splitlines()[:1]
    return f"HTTP {status}" + (f": {first_line[0]}" if first_line else "")


_threads = threading.local()


def thread_session() -> requests.Session:
    """This thread's own Session: requests does not promise a Session is thread-safe."""
    session = getattr(_threads, "session", None)
    if session is None:
        session = requests.Session()
        session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=1))
        _threads.session = session
    return session


def fetch_with_requests(
    session: requests.Session, url: str, timeout_s: float, client: str, limit: int
) -> Fetch:
    started = time.perf_counter()
    try:
        response = session.get(url, timeout=timeout_s)
        body = response.content
        error = status_error(response.status_code, body)
    except requests.RequestException as exc:
        return Fetch(time.perf_counter() - started, 0, one_line(exc), client, limit)
    return Fetch(time.perf_counter() - started, len(body), error, client, limit)


def percentile_ms(latencies: list[float], q: float) -> float:
    return float(np.percentile(latencies, q)) * 1000 if latencies else float("nan")


class Crawl(Workload):
    """``requests`` GETs to ``{url}/add?name=hpexp&delay={delay_ms}&<10 random letters>``.

    ``url`` = None starts :mod:`hpexp.server` in its own process in :meth:`prepare` and stops it
    in :meth:`close`; a URL uses a server already running there.
    """

    libraries = ("aiohttp", "requests", "tornado")

    def __init__(
        self,
        requests: int = 500,
        delay_ms: int = 100,
        url: str | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.requests = require_int("requests", requests, 1)
        self.delay_ms = require_int("delay_ms", delay_ms, 0)
        if url is not None and not (
            isinstance(url, str) and url.startswith(("http://", "https://"))
        ):
            raise ConfigError(
                "url", url, "null (the embedded server) | a base URL like http://host:port"
            )
        self.url = url.rstrip("/") if url else None
        self.timeout_s = require_seconds("timeout_s", timeout_s)
        self._server: ServerProcess | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Worker processes get the parameters and the URL, never the server handle."""
        return {**self.__dict__, "_server": None}

    def prepare(self) -> None:
        if self.url is None:
            self._server = ServerProcess()

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def base_url(self) -> str:
        if self.url is not None:
            return self.url
        assert self._server is not None, "prepare() starts the embedded server"
        return self._server.url

    def ideal_s(self, workers: int) -> float:
        return self.requests * self.delay_ms / 1000 / min(workers, self.requests)

    def tasks(self, workers: int, seed: int) -> list[str]:
        """The book's URLs: 10 distinct random letters each, from ``seed``."""
        rng = random.Random(seed)
        base = f"{self.base_url}{PATH}?name={NAME}&delay={self.delay_ms}&"
        return [
            base + "".join(rng.sample(string.ascii_lowercase, 10)) for _ in range(self.requests)
        ]

    def run(self, task: str) -> Fetch:
        return fetch_with_requests(
            thread_session(), task, self.timeout_s, "requests.Session per thread", 1
        )

    def run_on_asyncio(self, executor: Any, tasks: list[str]) -> list[Fetch]:
        return executor.loop.run_until_complete(self._crawl_aiohttp(tasks, executor.workers))

    async def _crawl_aiohttp(self, urls: list[str], workers: int) -> list[Fetch]:
        client = "aiohttp.ClientSession"
        in_flight = asyncio.Semaphore(workers)
        connector = aiohttp.TCPConnector(limit=workers)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)

        async def fetch(session: aiohttp.ClientSession, url: str) -> Fetch:
            async with in_flight:
                started = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        body = await response.read()
                        error = status_error(response.status, body)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    return Fetch(time.perf_counter() - started, 0, one_line(exc), client, workers)
                return Fetch(time.perf_counter() - started, len(body), error, client, workers)

        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            return list(await asyncio.gather(*(fetch(session, url) for url in urls)))

    def run_on_tornado(self, executor: Any, tasks: list[str]) -> list[Fetch]:
        return executor.ioloop.run_sync(lambda: self._crawl_tornado(tasks, executor.workers))

    async def _crawl_tornado(self, urls: list[str], workers: int) -> list[Fetch]:
        client_name = "tornado.AsyncHTTPClient"
        in_flight = locks.Semaphore(workers)
        client = AsyncHTTPClient(force_instance=True, max_clients=workers)

        async def fetch(url: str) -> Fetch:
            async with in_flight:
                started = time.perf_counter()
                try:
                    response = await client.fetch(
                        url, connect_timeout=self.timeout_s, request_timeout=self.timeout_s
                    )
                except HTTPClientError as exc:
                    body = exc.response.body if exc.response is not None else b""
                    error = status_error(exc.code, body) if exc.code != 599 else one_line(exc)
                    return Fetch(time.perf_counter() - started, 0, error, client_name, workers)
                except OSError as exc:
                    return Fetch(
                        time.perf_counter() - started, 0, one_line(exc), client_name, workers
                    )
                body = response.body
                return Fetch(
                    time.perf_counter() - started,
                    len(body),
                    status_error(response.code, body),
                    client_name,
                    workers,
                )

        try:
            return list(await gen.multi([fetch(url) for url in urls]))
        finally:
            client.close()

    def run_on_gevent(self, executor: Any, tasks: list[str]) -> list[Fetch]:
        """Runs in the gevent executor's patched child: requests' sockets yield to greenlets."""
        workers = executor.workers
        client = "requests.Session shared by greenlets"
        with requests.Session() as session:
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=workers, pool_block=True)
            session.mount("http://", adapter)
            return executor.pool.map(
                lambda url: fetch_with_requests(session, url, self.timeout_s, client, workers),
                tasks,
            )

    def reduce(self, results: list[Fetch]) -> Outcome:
        failed = [r for r in results if r.error is not None]
        latencies = [r.latency_s for r in results]
        metrics = {
            "ok_requests": len(results) - len(failed),
            "errors": len(failed),
            "bytes": sum(r.size for r in results),
            "latency_p50_ms": percentile_ms(latencies, 50),
            "latency_p95_ms": percentile_ms(latencies, 95),
            "latency_p99_ms": percentile_ms(latencies, 99),
            "latency_max_ms": max(latencies, default=float("nan")) * 1000,
            "client": results[0].client if results else "",
            "client_limit": max((r.client_limit for r in results), default=0),
        }
        error = None
        if failed:
            error = f"{len(failed)} of {len(results)} requests failed, first: {failed[0].error}"
        return Outcome(metrics=metrics, units=len(results) - len(failed), error=error)
