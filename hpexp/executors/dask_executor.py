"""dask.distributed: the same tasks on an embedded local cluster or on a cluster that already runs.

Every task is submitted with ``pure=False``: dask caches pure tasks by their arguments, so a
repeated Monte Carlo chunk would otherwise come back from the cache instead of being computed.
"""

import concurrent.futures
import functools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import distributed

from hpexp.core.executor import Executor, started
from hpexp.core.model import Model
from hpexp.core.workload import Workload
from hpexp.executors.dask_connection import (
    ClusterShape,
    DaskConnection,
    check_address,
    check_timeout,
    cluster_settings,
)


def bridge(dask_future: distributed.Future) -> concurrent.futures.Future:
    """A stdlib future that settles when ``dask_future`` does.

    Code written for threads or a process pool (``submit(...).add_done_callback(...)``, chained
    from inside a callback) then runs unchanged. Callbacks run on dask's callback thread, never
    the main thread, so they may submit more work but must not block on another future.
    """
    future: concurrent.futures.Future = concurrent.futures.Future()
    future.set_running_or_notify_cancel()

    def settle(done: distributed.Future) -> None:
        try:
            result = done.result()
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)

    dask_future.add_done_callback(settle)
    return future


class DaskExecutor(Executor):
    """A dask.distributed client on a ``LocalCluster`` (``address: null``) or an existing cluster.

    On a local cluster its ``workers`` single-threaded processes bound what runs at once, so every
    task goes to the scheduler at once. An existing cluster may be far bigger, so there at most
    ``workers`` tasks are kept in flight, and the cluster's real size is recorded.
    """

    model = Model.cluster
    libraries = ("dask", "distributed")

    def __init__(self, workers: int, address: str | None, connect_timeout_s: float) -> None:
        super().__init__(workers)
        self.address = check_address(address)
        self.connect_timeout_s = check_timeout(connect_timeout_s)
        self._connection: DaskConnection | None = None
        #: kept after shutdown: the runner records settings once the cluster is closed
        self._shape: ClusterShape | None = None

    def start(self) -> None:
        self._connection = DaskConnection(self.workers, self.address, self.connect_timeout_s)
        self._shape = self._connection.shape

    @property
    def client(self) -> distributed.Client:
        return started(self._connection, self).client

    def settings(self, task_count: int) -> dict[str, Any]:
        return {"max_in_flight": self.workers, **cluster_settings(self.address, self._shape)}

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        # keyword arguments go to fn, never to dask's own submit options (key, workers, ...)
        call = functools.partial(fn, **kwargs) if kwargs else fn
        return bridge(self.client.submit(call, *args, pure=False))

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        """Like ``concurrent.futures.Executor.map``; dask schedules each task, so no chunksize."""
        futures = self.client.map(fn, *iterables, pure=False)
        deadline = None if timeout is None else time.monotonic() + timeout

        def results() -> Iterator[Any]:
            for future in futures:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                yield future.result(timeout=left)

        return results()

    def run_tasks(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        if self.address is None:
            # one gather for all results: far fewer round trips than one result() per future
            return self.client.gather(self.client.map(workload.run, tasks, pure=False))
        return self._run_bounded(workload.run, tasks)

    def _run_bounded(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        """Keep ``workers`` tasks in flight, submitting the next as each one finishes."""
        results: list[Any] = [None] * len(tasks)
        waiting = iter(enumerate(tasks))
        index_of: dict[str, int] = {}
        finished = distributed.as_completed(loop=self.client.loop, with_results=True)

        def submit(index: int, task: Any) -> None:
            future = self.client.submit(fn, task, pure=False)
            index_of[future.key] = index
            finished.add(future)

        for index, task in islice(waiting, self.workers):
            submit(index, task)
        for future, result in finished:
            results[index_of.pop(future.key)] = result
            for index, task in islice(waiting, 1):
                submit(index, task)
        return results

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
