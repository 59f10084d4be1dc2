"""Tasks in worker processes of another Python: PyPy, a free-threaded CPython, an older one.

The book runs its pure-Python julia loop under PyPy (2nd edition,
``07_compiling/julia/julia1_nopil_expanded_math_pypy.py``). The other interpreter has neither
hpexp nor numpy, so what crosses is a function's source and plain arguments, as JSON lines over
the worker's pipes (:mod:`hpexp.executors.interpreter_peer.worker`, stdlib only). A workload
runs here through its driver for :attr:`Model.interpreter`, which maps a self-contained function
(builtins and what it imports itself) over plain arguments; one without gives
``status=skipped``. Rows record the interpreter as ``executor.implementation``,
``executor.python_version`` and ``executor.gil_enabled``.
"""

import builtins
import concurrent.futures
import contextlib
import functools
import inspect
import json
import os
import queue
import select
import shutil
import subprocess
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hpexp.core.errors import ConfigError
from hpexp.core.executor import STARTUP_TIMEOUT_S, Executor, started
from hpexp.core.model import Model
from hpexp.core.remote import RemoteTraceback
from hpexp.core.workload import CannotRun, Workload

WORKER = Path(__file__).with_name("interpreter_peer") / "worker.py"
#: how long a worker that was asked to stop may take before it is killed
STOP_S = 2.0


def find_python(key: str, python: object) -> str:
    """``python`` as the path of an executable: a name on PATH or a path, else ConfigError."""
    found = shutil.which(python) if isinstance(python, str) and python else None
    if found is None:
        raise ConfigError(key, python, "a Python executable on PATH or a path to one")
    return os.path.abspath(found)


@functools.cache
def portable_source(fn: Callable[..., Any]) -> str:
    """The source of a module-level function, which is what crosses to the other interpreter;
    :class:`CannotRun` for anything else (a method, a lambda, a closure, a builtin), so a
    workload that hands one over is skipped, not failed."""
    if (
        not inspect.isfunction(fn)
        or fn.__name__ != fn.__qualname__
        or fn.__closure__
        or fn.__name__ == "<lambda>"
    ):
        name = getattr(fn, "__qualname__", repr(fn))
        raise CannotRun(
            f"{name} cannot run on another interpreter: only a module-level function crosses "
            "(its source: builtins and what it imports itself)"
        )
    return textwrap.dedent(inspect.getsource(fn))


def raised_remotely(reply: dict[str, Any]) -> Exception:
    """The worker's exception: a builtin type where it names one, its traceback as the cause."""
    kind = getattr(builtins, reply["type"], None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = RuntimeError
    exc = kind(reply["error"] if kind is not RuntimeError else f"{reply['type']}: {reply['error']}")
    exc.__cause__ = RemoteTraceback(f'\n"""\n{reply["traceback"]}"""')
    return exc


class Peer:
    """One worker process of the other interpreter, answering one call at a time."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen(
            [python, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        ready, _, _ = select.select([self.process.stdout], [], [], STARTUP_TIMEOUT_S)
        hello = self.process.stdout.readline() if ready else ""
        try:
            self.about: dict[str, Any] = json.loads(hello)
        except ValueError:
            self.stop()
            raise RuntimeError(f"{python} did not start hpexp's worker: is it a Python?") from None

    def call(self, request: str) -> Any:
        try:
            self.process.stdin.write(request)
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except OSError:  # a broken pipe: the worker is gone
            line = ""
        if not line:
            try:
                code = self.process.wait(STOP_S)  # its output ended: it is exiting
            except subprocess.TimeoutExpired:
                code = None
            raise RuntimeError(f"the {self.about['implementation']} worker exited (code {code})")
        reply = json.loads(line)
        if "error" in reply:
            raise raised_remotely(reply)
        return reply["result"]

    def stop(self) -> None:
        """End of input asks the worker to exit; kill it if it lingers, always reap it."""
        with contextlib.suppress(OSError):  # the worker is gone already
            self.process.stdin.close()
        try:
            self.process.wait(STOP_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


class InterpreterExecutor(Executor):
    """``workers`` processes of ``python``, each answering one call at a time."""

    model = Model.interpreter

    def __init__(self, workers: int, python: str) -> None:
        super().__init__(workers)
        self.python = find_python("python", python)
        self._peers: list[Peer] = []
        self._idle: queue.SimpleQueue[Peer] = queue.SimpleQueue()
        self._calls: concurrent.futures.ThreadPoolExecutor | None = None
        self._about: dict[str, Any] = {}

    def start(self) -> None:
        try:
            for _ in range(self.workers):
                self._peers.append(Peer(self.python))
        except BaseException:
            self.shutdown()
            raise
        self._about = self._peers[0].about
        for peer in self._peers:
            self._idle.put(peer)
        self._calls = concurrent.futures.ThreadPoolExecutor(
            self.workers, thread_name_prefix="hpexp-interpreter"
        )

    def _call(self, request: str) -> Any:
        peer = self._idle.get()
        try:
            return peer.call(request)
        finally:
            self._idle.put(peer)

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        calls = started(self._calls, self)
        request = {"source": portable_source(fn), "name": fn.__name__, "args": args}
        return calls.submit(self._call, json.dumps({**request, "kwargs": kwargs}) + "\n")

    def run_tasks(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        raise CannotRun(
            f"{type(workload).__name__} has no task for another interpreter: its run needs "
            "hpexp's own code there (a driver for the interpreter model maps a self-contained "
            "function)"
        )

    def settings(self, task_count: int) -> dict[str, Any]:
        return {
            "python": self.python,
            "implementation": self._about.get("implementation"),
            "python_version": self._about.get("version"),
            "gil_enabled": self._about.get("gil_enabled"),
        }

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        calls, peers = self._calls, self._peers
        self._calls, self._peers = None, []
        self._idle = queue.SimpleQueue()
        if calls is not None:
            calls.shutdown(wait=wait, cancel_futures=cancel_futures)
        for peer in peers:
            peer.stop()
