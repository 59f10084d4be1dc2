"""joblib.Parallel: the scikit-learn world's way to parallelise, with its own batching.

``backend: dask`` runs the same ``Parallel`` on dask.distributed, under the dask executor's client
rules (:mod:`hpexp.executors.dask_connection`): a LocalCluster of ``workers`` processes, or the
cluster at ``address``.
"""

import concurrent.futures
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import joblib

from hpexp.core.errors import ConfigError, require_bool, require_choice
from hpexp.core.executor import Executor, completed_future, even_chunksize, started
from hpexp.core.model import Model
from hpexp.core.shared import CannotShare
from hpexp.core.worker import start_worker
from hpexp.executors.dask_connection import (
    ClusterShape,
    DaskConnection,
    check_address,
    check_timeout,
    cluster_settings,
)

#: joblib's backends, local ones first
BACKENDS = ("loky", "threading", "multiprocessing", "dask")
#: the start of the name of a job's ``cache`` directory, in the system's temporary directory
CACHE_PREFIX = "hpexp-joblib-cache-"


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


class JoblibExecutor(Executor):
    """One ``joblib.Parallel`` kept open (its pool reused) across every run of a job.

    joblib has no futures: ``map`` dispatches through the open ``Parallel``, and ``submit`` is
    a ``map`` of one that returns a completed future. ``batch_size`` is set explicitly (``null`` =
    an even split over workers) and recorded, because joblib's adaptive ``auto`` batching changes
    what is measured. ``cache`` runs every call through a ``joblib.Memory`` of the job's own (the
    book's ``pi_lists_parallel_joblib_cache.py``): a seeded task repeated with the same arguments
    returns the stored result, so every run after the first times the cache, not the work;
    recorded as ``executor.cache`` so the verdict says so.
    """

    model = Model.batches
    libraries = ("joblib",)

    def __init__(
        self,
        workers: int,
        backend: str,
        batch_size: Any,
        address: str | None,
        connect_timeout_s: float,
        cache: bool,
    ) -> None:
        super().__init__(workers)
        self.cache = require_bool("cache", cache)
        self._memory: joblib.Memory | None = None
        self.backend = require_choice("backend", backend, BACKENDS)
        self.address = check_address(address)
        if self.address is not None and self.backend != "dask":
            raise ConfigError("address", address, "null unless backend is dask")
        self.connect_timeout_s = check_timeout(connect_timeout_s)
        if batch_size not in (None, "auto") and not _positive_int(batch_size):
            raise ConfigError("batch_size", batch_size, "null | auto | an integer >= 1")
        self.batch_size = batch_size
        self._parallel: joblib.Parallel | None = None
        self._dask: DaskConnection | None = None
        #: kept after shutdown: the runner records settings once the cluster is closed
        self._dask_shape: ClusterShape | None = None  # pragma: no mutate: dask only

    def hand_over(self, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
        """Only the threading backend's workers can share state: they live in this process."""
        if self.backend != "threading":
            raise CannotShare(f"joblib's {self.backend} backend cannot hand shared state over")
        initializer(*initargs)

    def _parallel_on_dask(self) -> joblib.Parallel:  # pragma: no mutate block
        """joblib's dask backend on a cluster of our own or the one at ``address``.

        Pinned by tests/test_dask.py on real clusters, which the mutation run leaves out (a
        cluster per mutant is too slow), so it is not mutated.
        """
        self._dask = DaskConnection(self.workers, self.address, self.connect_timeout_s)
        self._dask_shape = self._dask.shape
        # pure=False: dask must never hand back a cached result for a repeated task
        with joblib.parallel_config(backend="dask", client=self._dask.client, pure=False):
            return joblib.Parallel(n_jobs=self.workers)

    def start(self) -> None:
        if self.cache:
            self._memory = joblib.Memory(tempfile.mkdtemp(prefix=CACHE_PREFIX), verbose=0)
        if self.backend == "dask":  # pragma: no mutate: dask's cases are in tests/test_dask.py
            self._parallel = self._parallel_on_dask()  # pragma: no mutate: as its test above
        else:
            # loky's and multiprocessing's workers exit with hpexp, even if it is killed
            # (threading's workers are threads of this process: it takes no initializer)
            with joblib.parallel_config(
                backend=self.backend, initializer=start_worker, initargs=(os.getpid(), None)
            ):
                self._parallel = joblib.Parallel(n_jobs=self.workers)
        self._parallel.__enter__()
        self._parallel(joblib.delayed(os.getpid)() for _ in range(self.workers))

    def chunksize_for(self, task_count: int) -> int | None:
        """Tasks per batch: ``batch_size``, an even split when null, None when joblib adapts it."""
        if self.batch_size == "auto":
            return None
        return self.batch_size or even_chunksize(task_count, self.workers)

    def settings(self, task_count: int) -> dict[str, Any]:
        settings = {
            "n_jobs": self.workers,
            "backend": self.backend,
            "batch_size": str(self.chunksize_for(task_count) or "auto"),
            "pre_dispatch": "2*n_jobs",
            "cache": self.cache,
        }
        if self.backend == "dask":  # pragma: no mutate: dask's cases are in tests/test_dask.py
            settings.update(self._dask_settings())  # pragma: no mutate: as its test
        return settings

    def _dask_settings(self) -> dict[str, Any]:  # pragma: no mutate block
        """joblib's dask backend uses every thread of the cluster, whatever n_jobs says.

        Pinned by tests/test_dask.py, like :meth:`_parallel_on_dask`.
        """
        shape = self._dask_shape
        return {"n_jobs": shape.threads if shape else None, **cluster_settings(self.address, shape)}

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        call = functools.partial(fn, **kwargs)
        return completed_future(lambda: next(self.map(call, *([arg] for arg in args))))

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int | None = 1,
    ) -> Iterator[Any]:
        """``fn`` over the items through the open ``Parallel``; ``chunksize=None``: auto."""
        parallel = started(self._parallel, self)
        parallel.batch_size = "auto" if chunksize is None else chunksize
        if self._memory is not None:
            fn = self._memory.cache(fn)
        return iter(parallel(joblib.delayed(fn)(*args) for args in zip(*iterables, strict=True)))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        try:
            if self._parallel is not None:
                # loky's reusable executor (the other backends have none): joblib keeps it
                # alive for 300 s after the Parallel closes, so the next jobs of a sweep would
                # run beside idle worker processes; a job stops its own workers instead
                workers = getattr(self._parallel._backend, "_workers", None)
                self._parallel.__exit__(None, None, None)
                self._parallel = None
                if workers is not None:
                    workers.shutdown(wait=wait, kill_workers=not wait)
        finally:
            if self._dask is not None:
                self._dask.close()
                self._dask = None  # pragma: no mutate: dask's cases are in tests/test_dask.py
            if self._memory is not None:
                shutil.rmtree(self._memory.location, ignore_errors=True)
                self._memory = None
