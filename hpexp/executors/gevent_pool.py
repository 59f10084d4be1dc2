"""gevent: greenlets on monkey-patched sockets, kept in a child process so patching never leaks.

``gevent.monkey.patch_all()`` rewrites ``socket``, ``threading`` and ``time`` for the whole
process and cannot be undone, so patching hpexp's own process would change every later job of a
sweep (a thread pool would quietly become greenlets). The patching happens in one ``spawn``
child per job instead; the parent only ships work to it over a pipe.
"""

import concurrent.futures
import contextlib
import functools
import multiprocessing
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from hpexp.executors.base import STARTUP_TIMEOUT_S, Executor
from hpexp.executors.gevent_child import serve
from hpexp.workloads.base import Workload

#: how often a waiting parent checks that the child is still alive
_POLL_S = 0.5
#: how long a stopping child may take before it is killed
_STOP_TIMEOUT_S = 5.0


class GeventRunError(RuntimeError):
    """A run failed inside the gevent child; the message is the child's exception."""


class GeventExecutor(Executor):
    """One patched ``spawn`` child per job running a ``gevent.pool.Pool(workers)``.

    In the child, a workload's native ``run_on_gevent(executor, tasks)`` gets a child-side
    executor with ``.workers`` and ``.pool``; otherwise ``Pool(workers).map(workload.run,
    tasks)`` runs. ``submit`` and ``map`` ship picklable functions to the child as well.
    """

    kind = "gevent"
    libraries = ("gevent",)

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Any = None

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent_conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=serve, args=(child_conn, self.workers), name="hpexp-gevent", daemon=True
        )
        self._process.start()
        child_conn.close()
        self._conn = parent_conn
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
                if not self._process.is_alive():
                    raise EOFError
                if timeout is not None and waited >= timeout:
                    self.shutdown()  # a late reply would be read as the next request's
                    raise GeventRunError(f"no reply from the gevent child within {timeout} s")
            status, value = pickle.loads(self._conn.recv_bytes())
        except (EOFError, OSError):
            code = self._process.exitcode if self._process else None
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
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is None:
            return
        with contextlib.suppress(OSError):  # the child may be gone already
            conn.send_bytes(pickle.dumps(None))
        conn.close()
        process.join(_STOP_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join()
        process.close()
