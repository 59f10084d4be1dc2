"""The book's hello/world event loop (chapter 8): what one scheduled call costs on each model.

The book's loop is a queue of functions where ``do_hello`` schedules ``do_world`` and vice versa,
forever. Here it ends after ``callbacks`` calls, split over ``chains`` independent chains in
flight at once, and each executor runs it with its concurrency model's own primitive (one driver
module per model, beside this one): the dispatch overhead per call decides whether a model can
carry tiny tasks.

``callbacks: null`` takes the model's default from :data:`DEFAULT_CALLBACKS`: a million calls on
the single-thread loops, fewer where each call crosses threads or processes (about a second each
on a 2-core machine). ``describe()`` cannot know the executor, so the effective count is
recorded by :meth:`HelloWorldLoop.reduce` as the ``callbacks`` column.

``callbacks_per_s`` and ``ns_per_callback`` are timed by the driver around its own dispatch
loop (first call scheduled to last call done), so they exclude shipping the run to a worker
process (gevent's child); ``throughput`` (callbacks over ``wall_s``) includes everything.
"""

from collections.abc import Sequence
from functools import partial
from typing import Any

from hpexp.core.errors import ConfigError, require_choice, require_int
from hpexp.core.model import Model
from hpexp.core.workload import Driver, Outcome, Workload
from hpexp.workloads.eventloop import asyncio_chains, batch_calls, serial_loop, submit_chain
from hpexp.workloads.eventloop.common import ChainRun

STYLES = ("callback", "future")
#: calls per run when ``callbacks`` is null, by concurrency model
DEFAULT_CALLBACKS = {
    Model.inline: 1_000_000,
    Model.asyncio: 1_000_000,
    Model.tornado: 1_000_000,
    Model.greenlets: 1_000_000,
    Model.threads: 20_000,
    Model.processes: 5_000,
    Model.batches: 100_000,
    Model.cluster: 200,
}
#: recorded by the generic path (an executor without a native driver runs :meth:`run`)
GENERIC = "generic"
#: calls per run when ``callbacks`` is null on the generic path
LOOP_CALLBACKS = 1_000_000
GENERIC_PRIMITIVE = "workload.run: a deque loop per chain"
#: models whose ``submit`` returns a ``concurrent.futures.Future``: chains of round trips
SUBMITTING = (Model.threads, Model.processes, Model.cluster)


def chain_targets(total: int, chains: int) -> list[int]:
    """Split ``total`` calls over ``chains`` as evenly as possible (the first ones get the rest)."""
    base, extra = divmod(total, chains)
    return [base + (index < extra) for index in range(chains)]


class HelloWorldLoop(Workload):
    """``callbacks`` hello/world calls over ``chains`` chains, in ``style`` callback or future."""

    problem = ("callbacks",)

    def __init__(self, callbacks: int | None, chains: int, style: str):
        self.chains = require_int("chains", chains, 1)
        self.callbacks = None if callbacks is None else require_int("callbacks", callbacks, 1)
        if self.callbacks is not None and self.callbacks < self.chains:
            raise ConfigError("callbacks", callbacks, f"an integer >= chains ({self.chains})")
        self.style = require_choice("style", style, STYLES)

    def total_callbacks(self, model: str) -> int:
        """``callbacks``, or the model's default; refused if it leaves a chain without calls."""
        if self.callbacks is not None:
            return self.callbacks
        total = DEFAULT_CALLBACKS.get(model, LOOP_CALLBACKS)  # a StrEnum key matches its str
        if total < self.chains:
            raise ConfigError(
                "chains", self.chains, f"at most the {model} default callbacks {total}"
            )
        return total

    def targets(self, model: str) -> list[int]:
        return chain_targets(self.total_callbacks(model), self.chains)

    def tasks(self, workers: int, seed: int) -> list[int]:
        """One task per chain (its index): natives run every chain at once, the generic path
        runs each chain as one task."""
        return list(range(self.chains))

    def run(self, task: int) -> ChainRun:
        """The generic path: chain ``task`` alone, as the book's loop in the calling thread."""
        target = self.targets(GENERIC)[task]
        (loop,) = serial_loop.run([target], self.style)
        return ChainRun(GENERIC, GENERIC_PRIMITIVE, task, loop.calls, loop.started, loop.finished)

    def driver(self, model: Model) -> Driver | None:
        """Every model's own scheduling primitive (see the module docstring)."""
        if model in SUBMITTING:
            return partial(self._submit_chains, model)
        return {
            Model.inline: self._deque_loop,
            Model.batches: self._batch_calls,
            Model.asyncio: self._asyncio_chains,
            Model.tornado: self._tornado_chains,
            Model.greenlets: self._gevent_chains,
        }.get(model)

    def _deque_loop(self, executor: Any, tasks: Sequence[int]) -> list[ChainRun]:
        return serial_loop.run(self.targets(Model.inline), self.style)

    def _submit_chains(self, model: Model, executor: Any, tasks: Sequence[int]) -> list[ChainRun]:
        """Threads, process pools and dask alike: chains of ``submit`` round trips."""
        return submit_chain.run(executor, model, self.targets(model), self.style)

    def _batch_calls(self, executor: Any, tasks: Sequence[int]) -> list[ChainRun]:
        return batch_calls.run(executor, self.targets(Model.batches))

    def _asyncio_chains(self, executor: Any, tasks: Sequence[int]) -> list[ChainRun]:
        """On ``executor.loop``: the job's fresh asyncio (or uvloop) event loop."""
        return asyncio_chains.run(executor.loop, self.targets(Model.asyncio), self.style)

    def _tornado_chains(self, executor: Any, tasks: Sequence[int]) -> list[ChainRun]:
        """On ``executor.ioloop``: the job's fresh tornado IOLoop; tornado imported only here."""
        from hpexp.workloads.eventloop import tornado_chains

        return tornado_chains.run(executor.ioloop, self.targets(Model.tornado), self.style)

    def _gevent_chains(self, executor: Any, tasks: Sequence[int]) -> list[ChainRun]:
        """Inside the gevent executor's patched child process; gevent is imported only there."""
        from hpexp.workloads.eventloop import gevent_chains

        return gevent_chains.run(self.targets(Model.greenlets), self.style)

    def reduce(self, results: list[ChainRun]) -> Outcome:
        models = {run.model for run in results}
        primitives = {run.primitive for run in results}
        if len(models) != 1 or len(primitives) != 1 or len(results) != self.chains:
            raise ValueError(f"expected one result per chain from one driver, got {results!r}")
        (model,), (primitive,) = models, primitives
        expected = self.targets(model)
        counts = [run.calls for run in results]
        calls = sum(counts)
        span = max(run.finished for run in results) - min(run.started for run in results)
        error = None
        if counts != expected:
            chain = next(
                i for i, (got, want) in enumerate(zip(counts, expected, strict=True)) if got != want
            )
            error = (
                f"expected exactly {sum(expected)} calls, counted {calls} "
                f"(chain {chain}: {counts[chain]} of {expected[chain]})"
            )
        metrics: dict[str, Any] = {
            "callbacks": sum(expected),
            "calls": calls,
            "callbacks_per_s": calls / span if span > 0 else float("nan"),
            "ns_per_callback": span * 1e9 / calls if calls else float("nan"),
            "primitive": primitive,
            "dispatch_batch": results[0].dispatch_batch,
        }
        return Outcome(metrics=metrics, units=calls, error=error)
