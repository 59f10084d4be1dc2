"""The book's delay server: ``/add?delay=<ms>`` sleeps ``delay`` ms, then answers.

``GET /add?name=<label>&delay=<ms>`` answers a line of text (chapter 8's crawl). ``POST /add``
answers the posted body back as JSON, ``{"result": <body>, "delay_ms": <ms>}`` (chapter 8's
CPU-and-I/O workload saves results this way and checks the echo).

    python -m hpexp.server --port 8080     # port 0 picks a free port

It binds 127.0.0.1 only and prints ``listening on http://127.0.0.1:<port>`` once it accepts
connections, so a parent can read the chosen port. With ``--stop-on-eof`` it also exits when its
standard input closes: the crawl workload starts it that way, so the server dies with its parent
even if the parent is killed outright.
"""

import argparse
import asyncio
import signal
import sys
import threading

from aiohttp import web

HOST = "127.0.0.1"
#: pending connections the kernel queues; the book's sweep reaches ~500 concurrent clients
BACKLOG = 2048
#: in-flight requests get this long to finish on stop; they are only sleeps, nothing is lost
SHUTDOWN_TIMEOUT_S = 0.2


def parse_delay_ms(text: str | None) -> int:
    """``delay`` as a non-negative int of milliseconds (missing = 0), else ValueError."""
    if text is None or text == "":
        return 0
    if not text.isdigit():
        raise ValueError(
            f"delay must be a non-negative integer number of milliseconds, got {text!r}"
        )
    return int(text)


async def add(request: web.Request) -> web.Response:
    """The book's endpoint: wait ``delay`` ms without blocking other requests, then answer."""
    try:
        delay_ms = parse_delay_ms(request.query.get("delay"))
    except ValueError as exc:
        return web.Response(status=400, text=f"{exc}\n")
    await asyncio.sleep(delay_ms / 1000)
    name = request.query.get("name", "")
    return web.Response(text=f"added {name} after {delay_ms} ms\n")


async def save(request: web.Request) -> web.Response:
    """The book's save endpoint: read the result, wait ``delay`` ms, echo it back as JSON."""
    try:
        delay_ms = parse_delay_ms(request.query.get("delay"))
    except ValueError as exc:
        return web.Response(status=400, text=f"{exc}\n")
    body = await request.text()
    await asyncio.sleep(delay_ms / 1000)
    return web.json_response({"result": body, "delay_ms": delay_ms})


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/add", add)
    app.router.add_post("/add", save)
    return app


async def serve(port: int, stop_on_eof: bool) -> None:
    """Serve until SIGINT/SIGTERM (or end of stdin with ``stop_on_eof``), then close cleanly."""
    runner = web.AppRunner(make_app(), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, port, backlog=BACKLOG)
        await site.start()
        bound_port = runner.addresses[0][1]
        print(f"listening on http://{HOST}:{bound_port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if stop_on_eof:
            watcher = threading.Thread(target=_wait_for_eof, args=(loop, stop), daemon=True)
            watcher.start()
        await stop.wait()
    finally:
        await runner.cleanup()


def _wait_for_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Block a daemon thread on stdin; its end (the parent closed it or died) stops the server."""
    while sys.stdin.buffer.read(4096):
        pass
    loop.call_soon_threadsafe(stop.set)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hpexp.server", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=8080, help="TCP port; 0 picks a free one")
    parser.add_argument(
        "--stop-on-eof", action="store_true", help="also stop when standard input closes"
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"invalid value for --port: {args.port} (allowed: 0..65535)")
    try:
        asyncio.run(serve(args.port, args.stop_on_eof))
    except OSError as exc:
        print(f"hpexp.server: cannot listen on {HOST}:{args.port}: {exc.strerror}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
