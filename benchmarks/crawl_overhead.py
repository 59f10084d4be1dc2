"""hpexp's crawl against hand-written crawlers of the same requests, on one delay server.

    python benchmarks/crawl_overhead.py [--rounds 5] [--requests 1000] [--delay-ms 100]
                                        [--concurrency 100] [--check]

Prints (medians over interleaved rounds), each with target <= 1.05:
  * hpexp asyncio wall / a hand-written aiohttp crawler's wall;
  * hpexp threads wall / a hand-written requests + ThreadPoolExecutor crawler's wall;
  * hpexp gevent wall / the book's gevent crawler's wall: a fresh process that calls
    ``gevent.monkey.patch_all()`` and fetches with ``urllib.request`` on a
    ``gevent.pool.Pool(concurrency)``;
  * hpexp tornado wall / a hand-written ``AsyncHTTPClient(max_clients=concurrency)`` crawler's;
  * each one's ideal fraction = ideal / wall, ideal = requests x delay / concurrency;
  * the server's capacity: requests/s at delay 0 (aiohttp client, same concurrency). When a
    crawl needs more than that (concurrency / delay), the server, not the client, is the limit.
``--check`` exits 1 when a target is missed.
"""

import argparse
import asyncio
import json
import random
import statistics
import string
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import aiohttp
import requests
from _common import hpexp_rows, interleaved, median_wall, report
from tornado import gen
from tornado.httpclient import AsyncHTTPClient
from tornado.ioloop import IOLoop

from hpexp.workloads.crawl.server_process import ServerProcess


def book_urls(base_url: str, count: int, delay_ms: int) -> list[str]:
    """The book's generate_urls: 10 random letters appended to the /add URL."""
    base = f"{base_url}/add?name=bare&delay={delay_ms}&"
    return [base + "".join(random.sample(string.ascii_lowercase, 10)) for _ in range(count)]


async def aiohttp_crawl(urls: list[str], concurrency: int) -> int:
    """The book's chunked aiohttp client: a semaphore and a connector sized to it."""
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(url: str) -> int:
            async with semaphore, session.get(url) as response:
                return len(await response.read())

        sizes = await asyncio.gather(*(get(url) for url in urls))
    return sum(sizes)


def time_aiohttp(urls: list[str], concurrency: int) -> float:
    loop = asyncio.new_event_loop()
    try:
        start = time.perf_counter()
        total = loop.run_until_complete(aiohttp_crawl(urls, concurrency))
        elapsed = time.perf_counter() - start
    finally:
        loop.close()
    assert total > 0
    return elapsed


_local = threading.local()


def requests_get(url: str) -> int:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    response = session.get(url)
    response.raise_for_status()
    return len(response.content)


def time_threads(urls: list[str], concurrency: int) -> float:
    """A ThreadPoolExecutor crawler, its threads started before timing as hpexp's are."""
    barrier = threading.Barrier(concurrency + 1)
    with ThreadPoolExecutor(concurrency, initializer=barrier.wait) as pool:
        started = [pool.submit(int) for _ in range(concurrency)]
        barrier.wait()
        wait(started)
        start = time.perf_counter()
        total = sum(pool.map(requests_get, urls))
        elapsed = time.perf_counter() - start
    assert total > 0
    return elapsed


#: the book's gevent crawler, run as its own program: patch first, then time the crawl alone
GEVENT_CRAWLER = """
from gevent import monkey; monkey.patch_all()
import json, sys, time, urllib.request
from gevent.pool import Pool
urls, concurrency = json.loads(sys.stdin.read())
def get(url):
    with urllib.request.urlopen(url) as response:
        return len(response.read())
pool = Pool(concurrency)
pool.map(get, urls[:concurrency])  # the first connections and imports, as hpexp's warm child
start = time.perf_counter()
total = sum(pool.map(get, urls))
print(time.perf_counter() - start, total)
"""


def time_gevent(urls: list[str], concurrency: int) -> float:
    """The book's crawler in a fresh patched interpreter; it reports its own crawl time."""
    warm = book_urls(urls[0].split("/add")[0], concurrency, 0)
    done = subprocess.run(
        [sys.executable, "-c", GEVENT_CRAWLER],
        input=json.dumps([warm + urls, concurrency]),
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed, total = done.stdout.split()
    assert int(total) > 0
    return float(elapsed)


async def tornado_crawl(urls: list[str], concurrency: int) -> int:
    client = AsyncHTTPClient(force_instance=True, max_clients=concurrency)
    try:
        responses = await gen.multi([client.fetch(url) for url in urls])
    finally:
        client.close()
    return sum(len(r.body) for r in responses)


def time_tornado(urls: list[str], concurrency: int) -> float:
    ioloop = IOLoop(make_current=False)
    try:
        start = time.perf_counter()
        total = ioloop.run_sync(lambda: tornado_crawl(urls, concurrency))
        elapsed = time.perf_counter() - start
    finally:
        ioloop.close()
    assert total > 0
    return elapsed


def server_capacity(base_url: str, concurrency: int, count: int) -> float:
    """Requests per second the server answers at delay 0."""
    return count / time_aiohttp(book_urls(base_url, count, 0), concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--delay-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    server = ServerProcess()
    try:
        url, n, delay, workers = server.url, args.requests, args.delay_ms, args.concurrency
        crawl = [
            "workload=crawl",
            f"workload.url={url}",
            f"workload.requests={n}",
            f"workload.delay_ms={delay}",
            f"workers={workers}",
            "repeats=1",
            "warmup=0",
        ]
        times = interleaved(
            args.rounds,
            hpexp_asyncio=lambda: median_wall(hpexp_rows(*crawl, "executor=asyncio")),
            bare_aiohttp=lambda: time_aiohttp(book_urls(url, n, delay), workers),
            hpexp_threads=lambda: median_wall(hpexp_rows(*crawl, "executor=threads")),
            bare_threads=lambda: time_threads(book_urls(url, n, delay), workers),
            hpexp_gevent=lambda: median_wall(hpexp_rows(*crawl, "executor=gevent", "warmup=1")),
            bare_gevent=lambda: time_gevent(book_urls(url, n, delay), workers),
            hpexp_tornado=lambda: median_wall(hpexp_rows(*crawl, "executor=tornado")),
            bare_tornado=lambda: time_tornado(book_urls(url, n, delay), workers),
        )
        capacity = statistics.median(
            server_capacity(url, workers, 2000) for _ in range(args.rounds)
        )
    finally:
        server.stop()

    ideal = n * delay / 1000 / min(workers, n)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{n} requests, {delay} ms, concurrency {workers}, {args.rounds} interleaved rounds")
    print(f"  ideal wall (requests x delay / concurrency): {ideal:.4f} s")
    for name, value in medians.items():
        print(f"  {name:<14} median {value:.4f} s   ideal fraction {ideal / value:.3f}")
    needed = workers / (delay / 1000) if delay else float("inf")
    print(
        f"server capacity at delay 0: {capacity:.0f} requests/s (this crawl needs {needed:.0f}/s)"
    )

    lines = []
    for name in ("asyncio", "threads", "gevent", "tornado"):
        bare = "aiohttp" if name == "asyncio" else name
        ratio = medians[f"hpexp_{name}"] / medians[f"bare_{bare}"]
        lines.append((f"hpexp {name} wall / bare {bare} wall", ratio, "<= 1.05", ratio <= 1.05))
    ok = report("ratios", lines)
    if args.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
