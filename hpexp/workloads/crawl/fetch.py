"""One request's result, and the synchronous client every generic executor uses.

Each result records which client made it and that client's connection limit, so the limits
every executor set land in the ``client`` and ``client_limit`` columns.
"""

import os
import threading
import time
from typing import NamedTuple

import requests
from requests.adapters import HTTPAdapter

from hpexp.core.errors import one_line


class Fetch(NamedTuple):
    """One request's result: when it was sent and answered, what came back, and which client
    sent it.

    ``started`` and ``ended`` are ``time.perf_counter()`` readings, one clock for every process
    of the machine, so the run's timeline lines up the requests of every worker. A NamedTuple:
    cheap to create inside the timed region and to pickle back from workers.
    """

    started: float
    ended: float
    size: int
    error: str | None
    client: str
    client_limit: int

    @property
    def latency_s(self) -> float:
        return self.ended - self.started


def status_error(status: int, body: bytes) -> str | None:
    """None for a 200, else the status and the first line of the body (the server's reason)."""
    if status == 200:
        return None
    first_line = body.decode(errors="replace").strip().splitlines()[:1]
    return f"HTTP {status}" + (f": {first_line[0]}" if first_line else "")


_threads = threading.local()


def thread_session() -> requests.Session:
    """This thread's own Session: requests does not promise a Session is thread-safe.

    Keyed by process too: a forked worker inherits its parent's thread-locals, and a Session
    whose kept-alive socket several processes share gets its connections reset.
    """
    owner, session = getattr(_threads, "session", (None, None))
    if session is None or owner != os.getpid():
        session = requests.Session()
        session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=1))
        _threads.session = (os.getpid(), session)
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
        return Fetch(started, time.perf_counter(), 0, one_line(exc), client, limit)
    return Fetch(started, time.perf_counter(), len(body), error, client, limit)
