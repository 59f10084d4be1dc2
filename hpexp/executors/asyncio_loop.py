"""An asyncio event loop: one thread, many requests in flight, the book's chapter 8 model."""

import asyncio
import concurrent.futures
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from hpexp.config import EventLoop
from hpexp.errors import ConfigError, require_choice
from hpexp.executors.base import Executor
from hpexp.executors.inflight import bounded_map
from hpexp.workloads.base import Workload

UVLOOP_HINT = "uvloop is not installed: pip install -e '.[uvloop]'"


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """A fresh loop of the asked kind, never installed as the thread's current loop."""
    if kind == EventLoop.uvloop:
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _require_uvloop() -> None:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        raise ConfigError("loop", "uvloop", f"asyncio ({UVLOOP_HINT})") from None


class AsyncioExecutor(Executor):
    """A fresh event loop per job, in ``self.loop``, run from the calling thread.

    The generic path awaits ``workload.arun`` over the tasks with at most ``workers`` in flight
    (an ``asyncio.Semaphore``). A workload's native ``run_on_asyncio(executor, tasks)`` drives
    ``executor.loop.run_until_complete`` itself and reads ``executor.workers``. ``submit`` and
    ``map`` run on the loop before returning, because the loop lives in the caller's thread.
    """

    kind = "asyncio"

    def __init__(self, workers: int, loop: str = "asyncio") -> None:
        super().__init__(workers)
        self.loop_kind = require_choice("loop", loop, tuple(EventLoop))
        if self.loop_kind == EventLoop.uvloop:
            _require_uvloop()
            self.libraries = ("uvloop",)
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self.loop = new_event_loop(self.loop_kind)

    def settings(self, task_count: int) -> dict[str, Any]:
        return {"loop": self.loop_kind, "max_in_flight": self.workers}

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            (result,) = self._run(lambda: fn(*args, **kwargs), [()], timeout=None)
            future.set_result(result)
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        return iter(self._run(fn, zip(*iterables, strict=True), timeout))

    def _run(
        self, fn: Callable[..., Any], items: Iterable[tuple[Any, ...]], timeout: float | None
    ) -> list[Any]:
        assert self.loop is not None, "start() first"
        work = asyncio.wait_for(bounded_map(fn, items, self.workers), timeout)
        return self.loop.run_until_complete(work)

    def run_tasks(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        return list(self.map(workload.arun, tasks))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self.loop is None:
            return
        loop, self.loop = self.loop, None
        try:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
