"""An asyncio event loop: one thread, many requests in flight, the book's chapter 8 model."""

import asyncio
from collections.abc import Callable
from typing import Any

from hpexp.core.errors import ConfigError, require_choice
from hpexp.core.executor import BatchExecutor, started
from hpexp.core.model import Model
from hpexp.executors.bounded import AwaitsArun, bounded_map

#: the event loops this executor runs
LOOPS = ("asyncio", "uvloop")
UVLOOP_HINT = "uvloop is not installed: pip install -e '.[uvloop]'"


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """A fresh loop of the asked kind, never installed as the thread's current loop."""
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _require_uvloop() -> None:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        raise ConfigError("loop", "uvloop", f"asyncio ({UVLOOP_HINT})") from None


class AsyncioExecutor(AwaitsArun, BatchExecutor):
    """A fresh event loop per job, in ``self.loop``, run from the calling thread.

    The generic path awaits ``workload.arun`` over the tasks with at most ``workers`` in flight
    (an ``asyncio.Semaphore``). A workload's native driver for the ``asyncio`` model drives
    ``executor.loop.run_until_complete`` itself and reads ``executor.workers``. ``submit`` and
    ``map`` run on the loop before returning, because the loop lives in the caller's thread.
    """

    model = Model.asyncio
    workers_in_this_process = True

    def __init__(self, workers: int, loop: str) -> None:
        super().__init__(workers)
        self.loop_kind = require_choice("loop", loop, LOOPS)
        if self.loop_kind == "uvloop":
            _require_uvloop()
            self.libraries = ("uvloop",)
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self.loop = new_event_loop(self.loop_kind)

    def settings(self, task_count: int) -> dict[str, Any]:
        return {"loop": self.loop_kind, "max_in_flight": self.workers, "arun": self.arun}

    def run_batch(
        self, fn: Callable[..., Any], items: list[tuple[Any, ...]], timeout: float | None
    ) -> list[Any]:
        loop = started(self.loop, self)
        return loop.run_until_complete(
            asyncio.wait_for(bounded_map(fn, items, self.workers), timeout)
        )

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
