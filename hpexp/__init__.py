"""hpexp: measure Python concurrency (threads, processes, event loops, clusters) from YAML."""

from hpexp.analysis import compare, summarize
from hpexp.executors.base import Executor
from hpexp.results import load_results
from hpexp.workloads.base import Outcome, Workload

__all__ = ["Executor", "Outcome", "Workload", "compare", "load_results", "summarize"]
