"""The workload contract: parameters in, picklable tasks out, results reduced to checked metrics."""

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from hpexp.core.model import Model

#: a workload's own way to run one run's tasks on an executor of a given model:
#: ``driver(executor, tasks)`` returns the results in task order
Driver = Callable[[Any, Sequence[Any]], Sequence[Any]]


class CannotRun(Exception):
    """This workload, as configured, cannot run on this executor (raised by
    :meth:`Workload.driver`): the cell is ``skipped`` with the message as its reason."""


class Span(NamedTuple):
    """One piece of a run's work in time (a request, a hash, a save), for the timeline figures.

    ``start`` and ``end`` are ``time.perf_counter()`` readings: on Linux that is
    ``CLOCK_MONOTONIC``, one clock for every process of the machine, so spans taken in threads,
    worker processes and a gevent child line up with each other and with the run's own start.
    """

    kind: str
    start: float
    end: float


@dataclass
class Outcome:
    """What one measured run produced.

    ``units`` is the amount of work done (samples, requests, callbacks), so ``throughput`` can be
    compared across executors. ``error`` is set when the result is wrong (a pi estimate far off,
    failed requests); the row then gets ``status=error`` instead of passing silently. ``spans``
    are what the run's timeline shows (stored beside the rows, not in them), where the workload
    records them.
    """

    metrics: dict[str, Any] = field(default_factory=dict)
    units: float = 0.0
    error: str | None = None
    spans: list[Span] = field(default_factory=list)


class Workload(ABC):
    """Subclass this (in any importable module) and name the class as ``_target_`` in YAML.

    The constructor receives the YAML keys as keyword arguments and must validate them with
    :mod:`hpexp.core.errors` so bad values become one-line errors. Instances and tasks cross
    process boundaries, so keep them picklable: open sockets or servers belong in :meth:`prepare`.
    """

    #: distributions whose versions are recorded as ``version.<name>`` columns
    libraries: ClassVar[tuple[str, ...]] = ()
    #: the parameters that set the problem itself (a size, a delay), not how it is solved (an
    #: impl, a chunking): a verdict crowns the fastest configuration at each of their values,
    #: since a shorter delay or a smaller grid is not a faster way to do the same work
    problem: ClassVar[tuple[str, ...]] = ()

    def prepare(self) -> None:
        """Start what the work needs (e.g. a server); not timed."""

    def close(self) -> None:
        """Stop what :meth:`prepare` started; called even when a run failed."""

    def shared_state(self) -> Any:
        """State every worker needs at its start (a flag, a counter, a lock), or None.

        Called once per job after :meth:`prepare`; the executor hands it to each worker as it
        starts, and tasks read it with :func:`hpexp.core.shared.installed`. An executor that
        cannot hand it over makes the cell ``status=skipped``.
        """
        return None

    def describe(self, workers: int) -> dict[str, Any]:
        """Effective parameter values the YAML left open (e.g. ``chunks`` = workers)."""
        return {}

    def ideal_s(self, workers: int) -> float | None:
        """The wall time of a perfectly concurrent run with ``workers``, if the workload knows it.

        E.g. requests x delay / concurrency for a crawl; recorded as ``ideal_s`` with
        ``efficiency`` = ideal_s / wall_s.
        """
        return None

    def driver(self, model: Model) -> Driver | None:
        """This workload's native way to run on executors of ``model``, or None (generic path).

        E.g. an aiohttp session on ``asyncio``; import the driver's library here, not at the top,
        so the generic path never pays for it. Raise :class:`CannotRun` where this workload
        cannot run on ``model`` at all.
        """
        return None

    @abstractmethod
    def tasks(self, workers: int, seed: int) -> Sequence[Any]:
        """The picklable tasks of one run; the same ``seed`` must give the same tasks."""

    @abstractmethod
    def run(self, task: Any) -> Any:
        """Do one task synchronously and return its result (called in worker processes too)."""

    async def arun(self, task: Any) -> Any:
        """Do one task on an event loop; the default runs :meth:`run` inline (no overlap)."""
        return self.run(task)

    @abstractmethod
    def reduce(self, results: list[Any]) -> Outcome:
        """Combine the task results (in task order) into metrics, and check they are right."""
