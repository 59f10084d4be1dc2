"""The book's chapter 8 crawl: N GETs to a server that sleeps ``delay`` ms before answering.

Serial takes N x delay; a client with ``workers`` requests in flight approaches
N x delay / workers. Every executor runs it with its own HTTP client and concurrency primitive:

* the generic path (serial, threads, process pools, joblib, dask): one ``requests.Session`` per
  thread (so per process), each with a one-connection pool (:mod:`.fetch`);
* asyncio: one ``aiohttp.ClientSession`` (:mod:`.aiohttp_client`);
* tornado: ``AsyncHTTPClient`` (:mod:`.tornado_client`);
* gevent: greenlets sharing one ``urllib3.PoolManager`` in the patched child
  (:mod:`.gevent_client`).
"""

import random
import string
from functools import partial
from typing import Any

import numpy as np

from hpexp.core.errors import require_int, require_seconds
from hpexp.core.model import Model
from hpexp.core.workload import Driver, Outcome, Span, Workload
from hpexp.workloads.crawl.fetch import Fetch, fetch_with_requests, thread_session
from hpexp.workloads.crawl.server_process import ServerProcess, require_server_url

#: the server's endpoint and the label the book's URLs carry
PATH = "/add"
NAME = "hpexp"


def percentile_ms(latencies: list[float], q: float) -> float:
    return float(np.percentile(latencies, q)) * 1000 if latencies else float("nan")


class Crawl(Workload):
    """``requests`` GETs to ``{url}/add?name=hpexp&delay={delay_ms}&<10 random letters>``.

    ``url`` = None starts the delay server in its own process in :meth:`prepare` and stops it
    in :meth:`close`; a URL uses a server already running there.
    """

    problem = ("requests", "delay_ms")
    libraries = ("aiohttp", "requests", "tornado")

    def __init__(
        self,
        requests: int,
        delay_ms: int,
        url: str | None,
        timeout_s: float,
    ) -> None:
        self.requests = require_int("requests", requests, 1)
        self.delay_ms = require_int("delay_ms", delay_ms, 0)
        self.url = require_server_url(url)
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

    def driver(self, model: Model) -> Driver | None:
        """Each event-loop model's own client; the others run :meth:`run` per task."""
        if model == Model.asyncio:
            from hpexp.workloads.crawl import aiohttp_client as client
        elif model == Model.tornado:
            from hpexp.workloads.crawl import tornado_client as client
        elif model == Model.greenlets:
            from hpexp.workloads.crawl import gevent_client as client
        else:
            return None
        return partial(client.crawl, timeout_s=self.timeout_s)

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
        spans = [Span("request", r.started, r.ended) for r in results]
        return Outcome(metrics, units=len(results) - len(failed), error=error, spans=spans)
