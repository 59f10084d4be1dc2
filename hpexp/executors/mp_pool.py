"""``multiprocessing.Pool`` (the book's ch. 9), and the Pool API its thread twin shares
(:mod:`hpexp.executors.mp_dummy`).

Both offer the Pool API: ``method`` picks how a run's tasks are dispatched (``map``, ``imap``,
``imap_unordered`` or one ``apply_async`` per task), and ``chunksize: null`` keeps the stdlib's
own default, which is recorded: ``map`` sends ceil(tasks / (4 x workers)) tasks per chunk,
``imap`` and ``imap_unordered`` one.

A ``multiprocessing.Pool`` whose worker dies replaces the worker and waits forever for the
tasks it held. So every wait here is a poll that looks at the workers between tries, and a dead
worker fails the run with :class:`WorkerDied` instead of hanging it.
"""

import concurrent.futures
import functools
import multiprocessing
import multiprocessing.pool
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from hpexp.core.errors import require_choice, require_optional_int
from hpexp.core.executor import STARTUP_TIMEOUT_S, Executor, started
from hpexp.core.model import Model
from hpexp.core.worker import checked_start_method, start_worker
from hpexp.executors.mp_workers import WorkerDied

METHODS = ("map", "imap", "imap_unordered", "apply_async")
#: how often a waiting run looks at the pool's workers
_POLL_S = 0.1
#: how long an abandoned run's ``Pool.terminate()`` may take before it is left to finish alone
_ABANDON_WAIT_S = 2.0


def stdlib_chunksize(method: str, tasks: int, workers: int) -> int:
    """The chunksize the stdlib picks when given None (``Pool._map_async`` and ``imap``)."""
    if method != "map":
        return 1
    chunks, extra = divmod(tasks, workers * 4)
    return max(1, chunks + bool(extra))


def _release(semaphore: Any) -> None:
    """A worker is up (a semaphore's own ``release`` cannot be pickled for spawn)."""
    semaphore.release()


def _star(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return fn(*args)


def _indexed(fn: Callable[[Any], Any], item: tuple[int, Any]) -> tuple[int, Any]:
    """``imap_unordered`` returns in completion order: the index puts results back in order."""
    index, task = item
    return index, fn(task)


class PoolApiExecutor(Executor):
    """The Pool API's dispatch methods, shared by the process and the thread pool."""

    def __init__(self, workers: int, method: str, chunksize: int | None) -> None:
        super().__init__(workers)
        self.method = require_choice("method", method, METHODS)
        self.chunksize = require_optional_int("chunksize", chunksize, 1)
        self._pool: multiprocessing.pool.Pool | None = None

    def _check_workers(self) -> None:
        """Raise :class:`WorkerDied` if a worker has died (threads never do)."""

    def _wait(self, get: Callable[[float], Any], deadline: float | None) -> Any:
        """``get(timeout)`` until it answers, checking the workers between tries."""
        while True:
            try:
                return get(_POLL_S)
            except multiprocessing.TimeoutError:
                self._check_workers()
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError("the pool's results did not arrive in time") from None

    def chunksize_for(self, task_count: int) -> int:
        if self.method == "apply_async":
            return 1
        return self.chunksize or stdlib_chunksize(self.method, task_count, self.workers)

    def settings(self, task_count: int) -> dict[str, Any]:
        return {
            "processes": self.workers,
            "method": self.method,
            "chunksize": self.chunksize_for(task_count),
        }

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.set_running_or_notify_cancel()
        started(self._pool, self).apply_async(
            fn, args, kwargs, callback=future.set_result, error_callback=future.set_exception
        )
        return future

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        """``fn`` over the items by this executor's ``method``; ``chunksize`` as it is given."""
        pool = started(self._pool, self)
        deadline = None if timeout is None else time.monotonic() + timeout
        if len(iterables) == 1:
            call, items = fn, list(iterables[0])
        else:
            call, items = functools.partial(_star, fn), list(zip(*iterables, strict=True))
        if self.method == "map":
            pending = pool.map_async(call, items, chunksize)
            return iter(self._wait(pending.get, deadline))
        if self.method == "imap":
            ordered = pool.imap(call, items, chunksize)
            return iter([self._wait(ordered.next, deadline) for _ in items])
        if self.method == "imap_unordered":
            done = pool.imap_unordered(
                functools.partial(_indexed, call), enumerate(items), chunksize
            )
            pairs = sorted(self._wait(done.next, deadline) for _ in items)
            return iter([result for _, result in pairs])
        calls = [pool.apply_async(call, (item,)) for item in items]
        return iter([self._wait(pending.get, deadline) for pending in calls])

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the workers: every run has collected its results by now, so nothing is lost.

        ``wait=False`` follows a run abandoned on a timeout or a signal. ``Pool.terminate()``
        joins every worker, and a thread that is still in its task (``multiprocessing.dummy``)
        or a process the pool forked after hpexp stopped the others never ends: it runs in a
        thread of its own, waited for a bounded time. A thread left running is named
        ``hpexp-...``, so the command line exits without waiting for it.
        """
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        if wait:
            pool.terminate()
            pool.join()
            return
        stopper = threading.Thread(target=pool.terminate, name="hpexp-stop-pool", daemon=True)
        stopper.start()
        stopper.join(_ABANDON_WAIT_S)


class MpPoolExecutor(PoolApiExecutor):
    """``multiprocessing.get_context(start_method).Pool(workers)``, every worker up in setup.

    ``maxtasksperchild`` (null = never) makes the pool replace each worker after that many tasks.
    """

    model = Model.processes
    starts_its_workers = True

    def __init__(
        self,
        workers: int,
        start_method: str | None,
        method: str,
        chunksize: int | None,
        maxtasksperchild: int | None,
    ) -> None:
        super().__init__(workers, method, chunksize)
        self.start_method = checked_start_method(start_method)
        self.maxtasksperchild = require_optional_int("maxtasksperchild", maxtasksperchild, 1)
        self._processes: dict[int, Any] = {}

    def start(self) -> None:
        context = multiprocessing.get_context(self.start_method)
        # a semaphore, not a barrier: workers replaced later (maxtasksperchild) must not wait
        up = context.Semaphore(0)
        self._pool = context.Pool(
            self.workers,
            initializer=start_worker,
            initargs=(os.getpid(), self.handed, functools.partial(_release, up)),
            maxtasksperchild=self.maxtasksperchild,
        )
        self._processes = {}
        for _ in range(self.workers):
            if not up.acquire(timeout=STARTUP_TIMEOUT_S):
                raise WorkerDied(f"the pool's workers did not start in {STARTUP_TIMEOUT_S:g} s")
        self._check_workers()

    def _check_workers(self) -> None:
        """Keep every worker the pool has had; one that exited unasked for lost its tasks."""
        for process in list(started(self._pool, self)._pool):
            self._processes.setdefault(process.pid, process)
        for pid, process in self._processes.items():
            code = process.exitcode
            if code is not None and (code != 0 or self.maxtasksperchild is None):
                raise WorkerDied(
                    f"worker pid {pid} exited with code {code} while its tasks were pending"
                )

    def settings(self, task_count: int) -> dict[str, Any]:
        return {
            **super().settings(task_count),
            "start_method": self.start_method,
            "maxtasksperchild": self.maxtasksperchild,
        }

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """``wait=False`` follows a run abandoned on a timeout or a signal, whose workers were
        killed already: one may have died waiting for a task, holding the task queue's read
        lock, which ``Pool.terminate()`` would wait for forever. A plain ``Lock`` may be
        released by any process, so it is freed first."""
        if self._pool is not None and not wait:
            lock = self._pool._inqueue._rlock  # type: ignore[attr-defined]
            lock.acquire(timeout=_POLL_S)  # taken now, or held by a dead worker: free either way
            lock.release()
        super().shutdown(wait, cancel_futures=cancel_futures)
        self._processes = {}
