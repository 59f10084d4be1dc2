"""gevent: the async saver on greenlets, in the gevent executor's patched child.

Each batch's save is its own greenlet holding one of ``workers`` slots of a
``BoundedSemaphore`` (a full ``gevent.pool.Pool`` would make the hashing wait instead);
``gevent.sleep(0)`` yields between hashes; one ``urllib3.PoolManager`` as in the crawl.
"""

import time
from collections.abc import Sequence
from typing import Any

import gevent
import urllib3
from gevent.lock import BoundedSemaphore

from hpexp.core.errors import one_line
from hpexp.workloads.hashsave.records import Batch, Hash, Saved, echo_error, hash_password, saved

CLIENT = "urllib3.PoolManager shared by greenlets"


def run(executor: Any, batches: Sequence[Batch], timeout_s: float) -> list[Saved]:
    workers = executor.workers
    in_flight = BoundedSemaphore(workers)
    timeout = urllib3.Timeout(total=timeout_s)
    with urllib3.PoolManager(maxsize=workers, block=True, retries=False) as manager:

        def save(batch: Batch, hashes: list[Hash]) -> Saved:
            body = batch.body(tuple(h.value for h in hashes))
            with in_flight:
                started = time.perf_counter()
                try:
                    response = manager.request(
                        "POST", batch.target, body=body.encode(), timeout=timeout
                    )
                    error = echo_error(response.status, response.data, body)
                except urllib3.exceptions.HTTPError as exc:
                    error = one_line(exc)
                return saved(hashes, (started, time.perf_counter()), error, CLIENT)

        saves = []
        for batch in batches:
            hashes = []
            for password in batch.passwords:
                hashes.append(hash_password(password, batch.difficulty))
                gevent.sleep(0)
            saves.append(gevent.spawn(save, batch, hashes))
        gevent.joinall(saves, raise_error=True)
        return [greenlet.value for greenlet in saves]
