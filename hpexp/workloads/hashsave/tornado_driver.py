"""tornado: the async saver on tornado's primitives: ``AsyncHTTPClient(max_clients=workers)``
and a ``tornado.locks.Semaphore``. ``asyncio.sleep(0)`` yields between hashes: tornado runs on
asyncio, and its own ``gen.moment`` serves only generator coroutines."""

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from tornado import gen, locks
from tornado.httpclient import AsyncHTTPClient

from hpexp.core.errors import one_line
from hpexp.workloads.hashsave.records import Batch, Hash, Saved, echo_error, hash_password, saved

CLIENT = "tornado.AsyncHTTPClient"
#: tornado's code for a request that got no HTTP answer (refused, timed out)
NO_RESPONSE = 599


def run(executor: Any, batches: Sequence[Batch], timeout_s: float) -> list[Saved]:
    """On ``executor.ioloop``, the job's tornado IOLoop."""
    return executor.ioloop.run_sync(lambda: _run(list(batches), executor.workers, timeout_s))


async def _run(batches: list[Batch], workers: int, timeout_s: float) -> list[Saved]:
    in_flight = locks.Semaphore(workers)
    client = AsyncHTTPClient(force_instance=True, max_clients=workers)

    async def save(batch: Batch, hashes: list[Hash]) -> Saved:
        body = batch.body(tuple(h.value for h in hashes))
        async with in_flight:
            started = time.perf_counter()
            response = await client.fetch(
                batch.target,
                method="POST",
                body=body,
                connect_timeout=timeout_s,
                request_timeout=timeout_s,
                raise_error=False,
            )
            if response.code == NO_RESPONSE:
                error = one_line(response.error or OSError("no response"))
            else:
                error = echo_error(response.code, response.body or b"", body)
            return saved(hashes, (started, time.perf_counter()), error, CLIENT)

    try:
        saves = []
        for batch in batches:
            hashes = []
            for password in batch.passwords:
                hashes.append(hash_password(password, batch.difficulty))
                await asyncio.sleep(0)
            saves.append(gen.convert_yielded(save(batch, hashes)))
        return list(await gen.multi(saves))
    finally:
        client.close()
