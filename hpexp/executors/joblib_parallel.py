"""joblib.Parallel: the scikit-learn world's way to parallelise, with its own batching."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import joblib

from hpexp.config import JoblibBackend
from hpexp.errors import ConfigError, require_choice, require_int
from hpexp.executors.base import Executor, even_chunksize
from hpexp.workloads.base import Workload


def _noop(index: int) -> int:
    return index


class JoblibExecutor(Executor):
    """One ``joblib.Parallel`` kept open (its pool reused) across every run of a job.

    joblib has no ``submit``; ``map`` dispatches through the open ``Parallel``. ``batch_size`` is
    set explicitly (``null`` = an even split over workers) and recorded, because joblib's adaptive
    ``auto`` batching changes what is measured.
    """

    kind = "joblib"
    libraries = ("joblib",)

    def __init__(self, workers: int, backend: str = "loky", batch_size: Any = None) -> None:
        super().__init__(workers)
        self.backend = require_choice("backend", backend, tuple(JoblibBackend))
        if batch_size is not None and batch_size != "auto":
            if not isinstance(batch_size, int) or isinstance(batch_size, bool):
                raise ConfigError("batch_size", batch_size, "null | auto | an integer >= 1")
            require_int("batch_size", batch_size, 1)
        self.batch_size = batch_size
        self._parallel: joblib.Parallel | None = None

    def start(self) -> None:
        self._parallel = joblib.Parallel(n_jobs=self.workers, backend=self.backend)
        self._parallel.__enter__()
        self._parallel(joblib.delayed(_noop)(i) for i in range(self.workers))

    def batch_size_for(self, task_count: int) -> int | str:
        return self.batch_size or even_chunksize(task_count, self.workers)

    def settings(self, task_count: int) -> dict[str, Any]:
        return {
            "n_jobs": self.workers,
            "backend": self.backend,
            "batch_size": str(self.batch_size_for(task_count)),
            "pre_dispatch": "2*n_jobs",
        }

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("joblib has no submit(); use map()")

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        assert self._parallel is not None, "start() first"
        self._parallel.batch_size = chunksize
        return iter(
            self._parallel(joblib.delayed(fn)(*args) for args in zip(*iterables, strict=True))
        )

    def run_tasks(self, workload: Workload, tasks: Sequence[Any]) -> list[Any]:
        return list(self.map(workload.run, tasks, chunksize=self.batch_size_for(len(tasks))))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._parallel is not None:
            self._parallel.__exit__(None, None, None)
            self._parallel = None
