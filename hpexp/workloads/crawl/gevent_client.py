"""gevent: a ``gevent.pool.Pool`` of ``workers`` greenlets sharing one ``requests.Session``.

Runs in the gevent executor's monkey-patched child, where requests' sockets yield to greenlets;
``pool_maxsize=workers`` because requests' default of 10 would silently cap.
"""

from collections.abc import Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from hpexp.workloads.crawl.fetch import Fetch, fetch_with_requests


def crawl(executor: Any, urls: Sequence[str], timeout_s: float) -> list[Fetch]:
    """``executor.pool``'s greenlets share one Session holding ``workers`` connections."""
    workers = executor.workers
    client = "requests.Session shared by greenlets"
    with requests.Session() as session:
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=workers, pool_block=True)
        session.mount("http://", adapter)
        return executor.pool.map(
            lambda url: fetch_with_requests(session, url, timeout_s, client, workers),
            urls,
        )
