"""One task and what it produced, plus the bcrypt call every path shares.

Each hash and each save records its ``time.perf_counter()`` span. On Linux that clock is
``CLOCK_MONOTONIC``, one clock for every process of the machine, so spans from threads, worker
processes and the gevent child can be compared: ``io_overlap`` is computed from them.
"""

import json
import time
from dataclasses import dataclass
from typing import NamedTuple

import bcrypt

from hpexp.workloads.crawl.fetch import status_error

Span = tuple[float, float]


@dataclass(frozen=True)
class Batch:
    """One task: ``batch`` passwords hashed in turn, then saved together to ``target``.

    ``target`` is the save URL (``save=http``), the run's file (``save=file``) or "" (``none``).
    """

    passwords: tuple[bytes, ...]
    difficulty: int
    save: str
    target: str

    def body(self, hashes: tuple[str, ...]) -> str:
        """What one save sends: the batch's hashes, one per line."""
        return "\n".join(hashes)


class Hash(NamedTuple):
    value: str
    span: Span
    cpu_s: float


def hash_password(password: bytes, difficulty: int) -> Hash:
    """bcrypt with a fresh salt of cost ``difficulty``; its span and this thread's CPU time.

    bcrypt releases the GIL while it hashes, so threads hash in parallel; ``cpu_s`` is
    ``thread_time``, this thread's own CPU, whatever the others do.
    """
    started, cpu_started = time.perf_counter(), time.thread_time()
    value = bcrypt.hashpw(password, bcrypt.gensalt(difficulty)).decode()
    return Hash(value, (started, time.perf_counter()), time.thread_time() - cpu_started)


class Saved(NamedTuple):
    """One task's result: its hashes and their spans, and its save's span, error and client.

    ``save_span`` is None for ``save=none``. A NamedTuple: cheap to pickle back from workers.
    """

    hashes: tuple[str, ...]
    hash_spans: tuple[Span, ...]
    hash_cpu_s: float
    save_span: Span | None
    error: str | None
    client: str


def saved(hashes: list[Hash], save_span: Span | None, error: str | None, client: str) -> Saved:
    return Saved(
        tuple(h.value for h in hashes),
        tuple(h.span for h in hashes),
        sum(h.cpu_s for h in hashes),
        save_span,
        error,
        client,
    )


def echo_error(status: int, payload: bytes, sent: str) -> str | None:
    """None when the server answered 200 with ``{"result": <what was sent>}``, else why not."""
    if status != 200:
        return status_error(status, payload)
    try:
        echoed = json.loads(payload)["result"]
    except (ValueError, KeyError, TypeError):
        return f"the server did not echo the result as JSON: {payload[:80]!r}"
    if echoed != sent:
        return f"the server echoed {echoed[:40]!r}, not the saved {sent[:40]!r}"
    return None
