"""gevent: greenlets on monkey-patched sockets, kept in a child process so patching never leaks.

``gevent.monkey.patch_all()`` rewrites ``socket``, ``threading`` and ``time`` for the whole
process and cannot be undone, so patching hpexp's own process would change every later job of a
sweep (a thread pool would quietly become greenlets). The patching happens in one fresh child
interpreter per job instead (see :mod:`hpexp.executors.gevent_child`); the parent only ships
work to it over a socket pair.
"""

import concurrent.futures
import contextlib
import functools
import os
import pickle
import socket
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

from hpexp.executors.base import STARTUP_TIMEOUT_S, Executor
from hpexp.executors.gevent_child import CHILD_MAIN
from hpexp.workloads.base import Workload

#: how often a waiting parent checks that the child is still alive
_POLL_S = 0.5
#: how long a stopping child may take before it is killed
_STOP_TIMEOUT_S = 5.0


class GeventRunError(RuntimeError):
    """A run failed inside the gevent child; the message is the child's exception."""


class GeventExecutor(Executor):
    """One patched child interpreter per job running a ``gevent.pool.Pool(workers)``.

    In the child, a workload's native ``run_on_gevent(executor, tasks)`` gets a child-side
    executor with ``.workers`` and ``.pool``; otherwise ``Pool(workers).map(workload.run,
    tasks)`` runs. ``submit`` and ``map`` ship picklable functions to the child as well.
    """

    kind = "gevent"
    libraries = ("gevent",)

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None

    def start(self) -> None:
        parent_end, child_end = socket.socketpair()
        with child_end:
            fd = child_end.fileno()
            self._process = subprocess.Popen(
                [sys.executable, "-c", CHILD_MAIN.format(fd=fd, workers=self.workers)],
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
                # the parent's import path, so its workloads (and a user's own modules) import
                env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))},
            )
        self._conn = Connection(parent_end.detach())
        # returns once the child is patched and serving, so setup_s includes all of it
        self._request("map", int, [()], timeout=STARTUP_TIMEOUT_S)

    def settings(self, task_count: int) -> dict[str, Any]:
        return {"greenlets": self.workers}

    def _request(
        self, verb: str, target: Any, payload: list[Any], timeout: float | None = None
    ) -> list[Any]:
        """Send one request and wait for its reply, failing fast if the child dies."""
        assert self._process is not None, "start() first"
        assert self._conn is not None
        try:
            self._conn.send_bytes(pickle.dumps((verb, target, payload)))
            waited = 0.0
            while not self._conn.poll(_POLL_S):
                waited += _POLL_S
                if self._process.poll() is not None:
                    raise EOFError
                if timeout is not None and waited >= timeout:
                    self.shutdown()  # a late reply would be read as the next request's
                    raise GeventRunError(f"no reply from the gevent child within {timeout} s")
            status, value = pickle.loads(self._conn.recv_bytes())
        except (EOFError, OSError):
            code = _reap(self._process)
            self.shutdown()
            raise GeventRunError(f"the gevent child exited (code {code})") from None
        if status != "ok":
            raise GeventRunError(value)
        return value

    def run(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        """Ship the workload and tasks to the child, which picks native or generic itself."""
        return self._request("run", workload, list(tasks))

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            (result,) = self._request("map", functools.partial(fn, **kwargs), [args])
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
        return iter(self._request("map", fn, list(zip(*iterables, strict=True)), timeout))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Ask the child to exit, kill it if it lingers, and always reap it."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is None or conn is None:
            return
        with contextlib.suppress(OSError):  # the child may be gone already
            conn.send_bytes(pickle.dumps(None))
        conn.close()
        _reap(process)


def _reap(process: subprocess.Popen) -> int:
    """Wait for the child to exit (killing it after a grace period); its exit code."""
    try:
        return process.wait(_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
