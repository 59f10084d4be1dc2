"""hpexp: measure Python concurrency (threads, processes, event loops, clusters) from YAML."""

from hpexp.executors.base import Executor
from hpexp.results import load_results
from hpexp.workloads.base import Outcome, Workload

__all__ = ["Executor", "Outcome", "Workload", "load_results"]
