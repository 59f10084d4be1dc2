"""gevent: greenlets on monkey-patched sockets, kept in a child process so patching never leaks.

``gevent.monkey.patch_all()`` rewrites ``socket``, ``threading`` and ``time`` for the whole
process and cannot be undone, so patching hpexp's own process would change every later job of a
sweep (a thread pool would quietly become greenlets). The patching happens in one fresh child
interpreter per job instead (see :mod:`hpexp.executors.gevent_child`); the parent only ships
work to it over a socket pair.
"""

import contextlib
import os
import pickle
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from hpexp.core.executor import STARTUP_TIMEOUT_S, BatchExecutor, started
from hpexp.core.model import Model
from hpexp.core.processes import stop_child
from hpexp.core.remote import Failure
from hpexp.core.workload import Workload
from hpexp.executors.gevent_child import CHILD_MAIN

#: how often a waiting parent checks that the child is still alive
_POLL_S = 0.5


class GeventRunError(RuntimeError):
    """The gevent child failed (it exited, did not answer, or raised what cannot be pickled)."""


class GeventExecutor(BatchExecutor):
    """One patched child interpreter per job running a ``gevent.pool.Pool(workers)``.

    In the child, a workload's native driver for the ``greenlets`` model gets a child-side
    executor with ``.workers`` and ``.pool``; otherwise ``Pool(workers).map(workload.run,
    tasks)`` runs. ``submit`` and ``map`` ship picklable functions to the child as well.
    """

    model = Model.greenlets
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
        process, conn = started(self._process, self), started(self._conn, self)
        try:
            conn.send_bytes(pickle.dumps((verb, target, payload)))
            waited = 0.0
            while not conn.poll(_POLL_S):
                waited += _POLL_S
                if process.poll() is not None:
                    raise EOFError
                if timeout is not None and waited >= timeout:
                    self.shutdown()  # a late reply would be read as the next request's
                    raise GeventRunError(f"no reply from the gevent child within {timeout} s")
            reply = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            code = stop_child(process)
            self.shutdown()
            raise GeventRunError(f"the gevent child exited (code {code})") from None
        if isinstance(reply, Failure):
            reply.raised()
        return reply

    def run(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        """Ship the workload and tasks to the child, which picks native or generic itself."""
        return self._request("run", workload, list(tasks))

    def run_batch(
        self, fn: Callable[..., Any], items: list[tuple[Any, ...]], timeout: float | None
    ) -> list[Any]:
        return self._request("map", fn, items, timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Ask the child to exit, kill it if it lingers, and always reap it."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is None or conn is None:
            return
        with contextlib.suppress(OSError):  # the child may be gone already
            conn.send_bytes(pickle.dumps(None))
        conn.close()
        stop_child(process)
