"""Monte Carlo pi, the book's chapter 9 workload: CPU-bound, embarrassingly parallel."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpexp.core.errors import require_int
from hpexp.core.model import Model
from hpexp.core.workload import Driver, Outcome, Workload
from hpexp.workloads import kernels
from hpexp.workloads.kernels import pure_python

#: an estimate further than this many standard errors from pi marks the row as wrong; a correct
#: sampler gets there with probability ~2e-9, a broken one (shared or biased streams) quickly does
TOLERANCE_SIGMAS = 6.0


@dataclass(frozen=True)
class PiChunk:
    """One task: how many points to throw, and the chunk's own random stream."""

    samples: int
    stream: np.random.SeedSequence
    impl: str


def count_inside(chunk: PiChunk) -> int:
    """Points of the chunk inside the unit quarter circle, by the chunk's kernel."""
    return kernels.load(chunk.impl).pi_count(chunk.samples, chunk.stream)


#: the self-contained pure-Python loop of each impl that has one
PURE_PYTHON_LOOPS = {"python": pure_python.pi_inside, "python_uniform": pure_python.pi_uniform}


def on_another_interpreter(executor: Any, tasks: Sequence[PiChunk]) -> list[int]:
    """The pure-Python loop itself, in the interpreter executor's workers."""
    seeds = [pure_python.pi_seed(task.stream) for task in tasks]
    loop = PURE_PYTHON_LOOPS[tasks[0].impl]
    return list(executor.map(loop, [task.samples for task in tasks], seeds))


def standard_error(samples: int) -> float:
    """Standard error of 4 * (inside / samples) when each point lands inside with p = pi/4."""
    p = math.pi / 4
    return 4 * math.sqrt(p * (1 - p) / samples)


class MonteCarloPi(Workload):
    """Estimate pi from ``samples`` random points, split into ``chunks`` independent tasks."""

    problem = ("samples",)
    libraries = ("numpy",)

    def __init__(self, samples: int, impl: str, chunks: int | None):
        self.samples = require_int("samples", samples, 1)
        self.impl = kernels.require_impl("impl", impl, kernels.PI)
        # every chunk draws at least one sample: more chunks are tasks that measure nothing
        self.chunks = None if chunks is None else require_int("chunks", chunks, 1, self.samples)
        self.compile_s = 0.0

    def chunk_count(self, workers: int) -> int:
        return self.chunks or min(workers, self.samples)

    def describe(self, workers: int) -> dict[str, Any]:
        return {"chunks": self.chunk_count(workers)}

    def prepare(self) -> None:
        self.compile_s = kernels.warm(self.impl)

    def driver(self, model: Model) -> Driver | None:
        return kernels.route_driver(self.impl, model, on_another_interpreter)

    def tasks(self, workers: int, seed: int) -> list[PiChunk]:
        count = self.chunk_count(workers)
        base, extra = divmod(self.samples, count)
        streams = np.random.SeedSequence(seed).spawn(count)
        return [PiChunk(base + (i < extra), stream, self.impl) for i, stream in enumerate(streams)]

    def run(self, task: PiChunk) -> int:
        return count_inside(task)

    def reduce(self, results: list[int]) -> Outcome:
        estimate = 4 * sum(results) / self.samples
        abs_error = abs(estimate - math.pi)
        tolerance = TOLERANCE_SIGMAS * standard_error(self.samples)
        error = None
        if abs_error > tolerance:
            error = (
                f"pi estimate {estimate:.6f} is {abs_error:.2e} from pi, beyond the "
                f"{TOLERANCE_SIGMAS:g}-sigma tolerance {tolerance:.2e} for {self.samples} samples"
            )
        metrics = {
            "pi_estimate": estimate,
            "abs_error": abs_error,
            "releases_gil": kernels.ROUTES[self.impl].releases_gil,
            "compile_s": self.compile_s,
        }
        return Outcome(metrics=metrics, units=self.samples, error=error)
