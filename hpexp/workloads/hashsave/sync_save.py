"""The generic path's saves, made synchronously in the thread that hashed.

``http``: a POST with the thread's own ``requests.Session`` (the crawl's one-connection client);
``file``: an append to the run's file, opened and closed per save so that processes and threads
can share it (``O_APPEND`` writes land whole).
"""

import time

import requests

from hpexp.core.errors import one_line
from hpexp.workloads.crawl.fetch import thread_session
from hpexp.workloads.hashsave.records import Batch, Hash, Saved, echo_error, saved

CLIENTS = {
    "none": "none",
    "file": "file append",
    "http": "requests.Session per thread",
}


def post(url: str, body: str, timeout_s: float) -> str | None:
    """POST ``body`` and check the echo; None when saved, else the reason."""
    try:
        response = thread_session().post(url, data=body.encode(), timeout=timeout_s)
    except requests.RequestException as exc:
        return one_line(exc)
    return echo_error(response.status_code, response.content, body)


def append(path: str, body: str) -> str | None:
    try:
        with open(path, "a", encoding="ascii") as file:
            file.write(body + "\n")
    except OSError as exc:
        return one_line(exc)
    return None


def save(batch: Batch, hashes: list[Hash], timeout_s: float) -> Saved:
    """Save the batch's hashes the way ``batch.save`` says, timing the save alone."""
    client = CLIENTS[batch.save]
    if batch.save == "none":
        return saved(hashes, None, None, client)
    body = batch.body(tuple(h.value for h in hashes))
    started = time.perf_counter()
    if batch.save == "http":
        error = post(batch.target, body, timeout_s)
    else:
        error = append(batch.target, body)
    return saved(hashes, (started, time.perf_counter()), error, client)
