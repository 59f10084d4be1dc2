"""A fixed set of ``multiprocessing.Process`` workers of hpexp's own, for the Queue and Pipe
executors: started in setup, each told what to run one message at a time, stopped with one
poison pill each (the book's ``primes_queue.py``), killed if they linger.

A message is ``(index, fn, batch)``: run ``fn(*args)`` for every args tuple of ``batch``; the
reply is ``(index, "ok", results)`` or ``(index, "error", exception)``.
"""

import multiprocessing
import multiprocessing.connection
import os
import pickle
import time
from collections.abc import Callable
from typing import Any

from hpexp.core.errors import one_line
from hpexp.core.executor import STARTUP_TIMEOUT_S
from hpexp.core.processes import GRACE_S
from hpexp.core.worker import Handed, start_worker

#: the poison pill: a worker that gets it exits
STOP = None
#: how often a waiting parent looks at its workers
POLL_S = 0.1

Message = tuple[int, Callable[..., Any], list[tuple[Any, ...]]]
Reply = tuple[int, str, Any]


class WorkerDied(RuntimeError):
    """A worker process exited while the run waited for its replies."""


def answer(message: Message) -> Reply:
    """Run one message's batch; an exception that cannot be pickled travels as its text."""
    index, fn, batch = message
    try:
        return index, "ok", [fn(*args) for args in batch]
    except Exception as exc:
        try:
            pickle.dumps(exc)
        except Exception:
            return index, "error", RuntimeError(one_line(exc))
        return index, "error", exc


def queue_worker(hpexp_pid: int, handed: Handed, ready: Any, tasks: Any, results: Any) -> None:
    """Take messages from ``tasks`` and put replies on ``results`` until the poison pill."""
    start_worker(hpexp_pid, handed, ready.release)
    while (message := tasks.get()) is not STOP:
        results.put(answer(message))


def pipe_worker(hpexp_pid: int, handed: Handed, ready: Any, conn: Any) -> None:
    """Answer each message on ``conn`` until the poison pill (or the parent's end closes)."""
    start_worker(hpexp_pid, handed, ready.release)
    try:
        while (message := conn.recv()) is not STOP:
            conn.send(answer(message))
    except EOFError:
        return


def unpack(reply: Reply) -> tuple[int, list[Any]]:
    """A reply's index and results, or the task's own exception raised here."""
    index, status, value = reply
    if status != "ok":
        raise value
    return index, value


class Workers:
    """``count`` processes running ``target(hpexp_pid, handed, ready, *args_of(i))``."""

    def __init__(
        self,
        context: multiprocessing.context.BaseContext,
        count: int,
        target: Callable[..., None],
        args_of: Callable[[int], tuple[Any, ...]],
        handed: Handed,
    ) -> None:
        ready = context.Semaphore(0)
        self.processes = [
            context.Process(
                target=target, args=(os.getpid(), handed, ready, *args_of(i)), daemon=True
            )
            for i in range(count)
        ]
        try:
            for process in self.processes:
                process.start()
            for _ in self.processes:
                if not ready.acquire(timeout=STARTUP_TIMEOUT_S):
                    self.check()
                    raise WorkerDied(f"the workers did not start in {STARTUP_TIMEOUT_S:g} s")
        except BaseException:
            self.stop()
            raise

    def check(self, wait_s: float = 0.0) -> None:
        """Raise :class:`WorkerDied` if any worker has exited (or exits within ``wait_s``)."""
        if wait_s:
            multiprocessing.connection.wait([p.sentinel for p in self.processes], wait_s)
        for process in self.processes:
            if process.exitcode is not None:
                raise WorkerDied(
                    f"worker pid {process.pid} exited with code {process.exitcode} "
                    "while its tasks were pending"
                )

    def stop(self, grace_s: float = GRACE_S) -> None:
        """Give the workers ``grace_s`` to take their poison pills, then terminate, then kill."""
        started = [process for process in self.processes if process.pid is not None]
        for ask in (None, "terminate", "kill"):
            deadline = time.monotonic() + grace_s
            for process in started:
                if ask is not None and process.exitcode is None:
                    getattr(process, ask)()
            for process in started:
                process.join(timeout=max(0.0, deadline - time.monotonic()))
            if all(process.exitcode is not None for process in started):
                return
