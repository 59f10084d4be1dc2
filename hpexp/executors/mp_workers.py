"""A fixed set of ``multiprocessing.Process`` workers of hpexp's own, for the Queue and Pipe
executors: started in setup, each told what to run one message at a time, stopped with one
poison pill each (the book's ``primes_queue.py``), killed if they linger.

A :class:`Message` says: run the function of run number ``run`` over ``payload`` (a list of
tasks, or of argument tuples when the function takes several); its :class:`Reply` holds the
results, or the task's :class:`~hpexp.core.remote.Failure` (its exception and the worker's
traceback). The Queue executor's messages and every reply travel as plain tuples of those
fields, read by position: a NamedTuple pickles its class's name into every item, and naming
each on arrival costs more again, which made the book's one-number tasks 1.32 times a
hand-written Queue's time instead of 1.04. Each worker gets each run's
function once, on a control queue of its own, and unpickles it once: pickled into every tiny
task, ``workload.run`` would cost more than the task (the hand-written Queue script of
``benchmarks/ch9_dispatch.py`` sends bare numbers).
"""

import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from multiprocessing.reduction import ForkingPickler
from typing import Any, NamedTuple

from hpexp.core.errors import one_line
from hpexp.core.executor import STARTUP_TIMEOUT_S
from hpexp.core.processes import GRACE_S
from hpexp.core.remote import Failure
from hpexp.core.worker import Handed, start_worker

#: the poison pill: a worker that gets it exits
STOP = None
#: how often a waiting parent looks at its workers
POLL_S = 0.1


class Message(NamedTuple):
    """Run the function of run number ``run`` over ``payload``; reply with ``index``."""

    index: int
    run: int
    payload: Any


class Reply(NamedTuple):
    """The results of a message (or its failure), and the index of its first task."""

    index: int
    value: Any


class Announcement(NamedTuple):
    """On a worker's control queue: the function of run number ``number``, and how its tasks
    are given (``star``: argument tuples; ``single``: one task per message, not a list)."""

    number: int
    fn: Callable[..., Any]
    star: bool
    single: bool


class WorkerDied(RuntimeError):
    """A worker process exited while the run waited for its replies."""


class Runs:
    """The parent's side: number each run's function and send it to every worker once.

    ``star``: the tasks are argument tuples; ``single``: each message holds one task, not a
    list (the book's one number per item, with nothing wrapped around it).
    """

    def __init__(self) -> None:
        self.number = 0

    def announce(self, fn: Callable[..., Any], star: bool, single: bool, controls: list) -> int:
        self.number += 1
        for control in controls:
            control.put(Announcement(self.number, fn, star, single))
        return self.number


class Functions:
    """A worker's side: the function of the run it is in, taken from its control queue."""

    def __init__(self, control: Any) -> None:
        self.control = control
        self.number = 0
        self.current: Announcement | None = None

    def of(self, number: int) -> Announcement:
        while self.number != number:
            self.current = self.control.get()
            self.number = self.current.number
        return self.current


def tasks_of(iterables: tuple[Iterable[Any], ...]) -> tuple[list[Any], bool]:
    """``map``'s items: the tasks themselves for one iterable, argument tuples (star) for more."""
    if len(iterables) == 1:
        return list(iterables[0]), False
    return list(zip(*iterables, strict=True)), True


def answer(message: tuple[Any, ...], functions: Functions) -> tuple[Any, ...]:
    """Run a :class:`Message`'s task or batch: its :class:`Reply`'s fields, a failure with the
    worker's traceback."""
    index, number, payload = message
    try:
        run = functions.of(number)
        fn = run.fn
        if run.single:
            return index, fn(*payload) if run.star else fn(payload)
        return index, [fn(*args) for args in payload] if run.star else [fn(t) for t in payload]
    except Exception as exc:
        return index, Failure.of(exc)


def queue_worker(
    hpexp_pid: int, handed: Handed, ready: Any, control: Any, tasks: Any, results: Any
) -> None:
    """Take messages from ``tasks`` and put replies on ``results`` until the poison pill."""
    start_worker(hpexp_pid, handed, ready.release)
    functions = Functions(control)
    while (message := tasks.get()) is not STOP:
        results.put(pickled_reply(answer(message, functions)))


def pickled_reply(reply: tuple[Any, ...]) -> bytes:
    """``reply`` pickled here, in the worker: a Queue pickles in a feeder thread, where an
    unpicklable result is only printed and never arrives (the run would wait for it until its
    time limit), and a Pipe's ``send`` raises in the worker, which dies; pickled here, the run
    fails at once, with the reason."""
    try:
        return bytes(ForkingPickler.dumps(reply))
    except Exception as exc:
        cannot = TypeError(f"a task's result cannot be sent back to hpexp: {one_line(exc)}")
        return bytes(ForkingPickler.dumps((reply[0], Failure.of(cannot))))


def pipe_worker(hpexp_pid: int, handed: Handed, ready: Any, control: Any, conn: Any) -> None:
    """Answer each message on ``conn`` until the poison pill (or the parent's end closes)."""
    start_worker(hpexp_pid, handed, ready.release)
    functions = Functions(control)
    try:
        while (message := conn.recv()) is not STOP:
            conn.send_bytes(pickled_reply(answer(message, functions)))  # = send, checked
    except EOFError:
        return


def unpack(reply: tuple[Any, ...]) -> tuple[int, Any]:
    """A :class:`Reply`'s index and value, or the task's own exception raised here."""
    index, value = reply
    if isinstance(value, Failure):
        value.raised()
    return index, value


class Workers:
    """``count`` processes running ``target(hpexp_pid, handed, ready, control, *args_of(i))``,
    each with its own control queue (``controls[i]``) for the functions of the runs."""

    def __init__(
        self,
        context: multiprocessing.context.BaseContext,
        count: int,
        target: Callable[..., None],
        args_of: Callable[[int], tuple[Any, ...]],
        handed: Handed,
    ) -> None:
        ready = context.Semaphore(0)
        self._stop_writing: int | None = None
        self._watcher: threading.Thread | None = None
        self.controls = [context.Queue() for _ in range(count)]
        hpexp_pid = os.getpid()
        self.processes = [
            context.Process(
                target=target,
                args=(hpexp_pid, handed, ready, self.controls[i], *args_of(i)),
                daemon=True,
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

    def post_deaths_to(self, replies: Any) -> None:
        """Put an error reply on ``replies`` when a worker exits before :meth:`stop`, so a
        parent blocked on ``replies.get()`` (no polling in the hot loop) hears of it at once."""
        stop_reading, self._stop_writing = os.pipe()

        def watch() -> None:
            with open(stop_reading, "rb"):
                by_sentinel = {process.sentinel: process for process in self.processes}
                ready = multiprocessing.connection.wait([*by_sentinel, stop_reading])
                if stop_reading in ready:
                    return
                try:
                    self.check(wait_s=GRACE_S)
                except WorkerDied as died:
                    replies.put(Reply(-1, Failure(died)))

        self._watcher = threading.Thread(target=watch, name="worker-deaths", daemon=True)
        self._watcher.start()

    def check(self, wait_s: float = 0.0) -> None:
        """Raise :class:`WorkerDied` if any worker has exited (or exits within ``wait_s``)."""
        if wait_s:
            ended = multiprocessing.connection.wait([p.sentinel for p in self.processes], wait_s)
            for process in self.processes:
                if process.sentinel in ended:
                    process.join(wait_s)  # its sentinel closes a moment before it can be reaped
        for process in self.processes:
            if process.exitcode is not None:
                raise WorkerDied(
                    f"worker pid {process.pid} exited with code {process.exitcode} "
                    "while its tasks were pending"
                )

    def stop(self, grace_s: float = GRACE_S) -> None:
        """Give the workers ``grace_s`` to take their poison pills, then terminate, then kill."""
        if self._stop_writing is not None:
            with suppress(BrokenPipeError):  # the watcher reported a death and is gone
                os.write(self._stop_writing, b"x")
            os.close(self._stop_writing)
            self._stop_writing = None
            self._watcher.join()
        started = [process for process in self.processes if process.pid is not None]
        for ask in (None, "terminate", "kill"):
            deadline = time.monotonic() + grace_s
            for process in started:
                if ask is not None and process.exitcode is None:
                    getattr(process, ask)()
            for process in started:
                process.join(timeout=max(0.0, deadline - time.monotonic()))
            if all(process.exitcode is not None for process in started):
                break
        for control in self.controls:
            control.cancel_join_thread()  # functions a killed worker never took must not block
            control.close()
