"""Processes fed through a ``multiprocessing.Queue``, replies on a second one (the book's
``primes_queue.py``): the cost of communication made visible, one queue item per ``batch`` tasks.

``feeder: main`` puts every item, then collects; ``feeder: thread`` puts them from a thread
while the main thread already collects (the book's ``primes_queue_jobs_feeder_thread.py``).
Results come back in task order whatever order the workers finish in.
"""

import multiprocessing
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from queue import Empty
from typing import Any

from hpexp.core.errors import require_choice, require_int
from hpexp.core.executor import Executor, started
from hpexp.core.model import Model
from hpexp.core.worker import checked_start_method
from hpexp.executors.mp_workers import (
    STOP,
    Runs,
    Workers,
    queue_worker,
    tasks_of,
    unpack,
)

FEEDERS = ("main", "thread")


def batches(items: list[Any], size: int) -> Iterator[tuple[int, list]]:
    """``(index of the first item, up to size items)`` over ``items``."""
    iterator = iter(items)
    for start in range(0, len(items), size):
        yield start, list(islice(iterator, size))


class MpQueueExecutor(Executor):
    """``workers`` processes taking :class:`~hpexp.executors.mp_workers.Message` items (a task
    or a batch each) from one Queue, replies on a second."""

    model = Model.batches
    starts_its_workers = True

    def __init__(
        self,
        workers: int,
        start_method: str | None,
        feeder: str,
        batch: int,
    ) -> None:
        super().__init__(workers)
        self.start_method = checked_start_method(start_method)
        self.feeder = require_choice("feeder", feeder, FEEDERS)
        self.batch = require_int("batch", batch, 1)
        self._workers: Workers | None = None
        self._runs = Runs()
        self._tasks: Any = None
        self._results: Any = None

    def start(self) -> None:
        context = multiprocessing.get_context(self.start_method)
        self._tasks, self._results = context.Queue(), context.Queue()
        queues = (self._tasks, self._results)
        self._workers = Workers(context, self.workers, queue_worker, lambda _: queues, self.handed)
        self._workers.post_deaths_to(self._results)

    def chunksize_for(self, task_count: int) -> int:
        return self.batch

    def settings(self, task_count: int) -> dict[str, Any]:
        return {
            "processes": self.workers,
            "start_method": self.start_method,
            "feeder": self.feeder,
            "batch": self.batch,
            "queue_items": -(-task_count // self.batch),
        }

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        """``fn`` over the items in queue items of ``chunksize`` tasks, results in task order."""
        workers = started(self._workers, self)
        items, star = tasks_of(iterables)
        single = chunksize == 1
        run = self._runs.announce(fn, star, single, workers.controls)
        messages = (  # a Message's fields each, as a plain tuple (see mp_workers)
            [(index, run, item) for index, item in enumerate(items)]
            if single
            else [(start, run, batch) for start, batch in batches(items, chunksize)]
        )
        if self.feeder == "thread":
            feeding = threading.Thread(target=self._feed, args=(messages,), daemon=True)
            feeding.start()
        else:
            self._feed(messages)
        results: list[Any] = [None] * len(items)
        deadline = None if timeout is None else time.monotonic() + timeout
        for _ in messages:
            start, value = unpack(self._next_reply(deadline))
            if single:
                results[start] = value
            else:
                results[start : start + len(value)] = value
        return iter(results)

    def _feed(self, messages: list[tuple[int, int, Any]]) -> None:
        for message in messages:
            self._tasks.put(message)

    def _next_reply(self, deadline: float | None) -> Any:
        """A blocking ``get``, as the book's: a worker that dies posts its own error reply.
        Workers send their replies pickled already (:func:`pickled_reply`)."""
        if deadline is None:
            reply = self._results.get()
        else:
            try:
                reply = self._results.get(timeout=max(0.0, deadline - time.monotonic()))
            except Empty:
                raise TimeoutError("the workers' replies did not arrive in time") from None
        return pickle.loads(reply) if isinstance(reply, bytes) else reply

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """One poison pill per worker, then stop whatever lingers; the queues are closed."""
        workers, self._workers = self._workers, None
        if workers is None:
            return
        for _ in workers.processes:
            self._tasks.put(STOP)
        workers.stop()
        for queue in (self._tasks, self._results):
            queue.cancel_join_thread()  # items a killed worker never took must not block exit
            queue.close()
        self._tasks = self._results = None
