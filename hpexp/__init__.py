"""hpexp: measure Python concurrency (threads, processes, event loops, clusters) from YAML.

``hpexp.run(...)`` and ``hpexp.sweep(...)`` take the overrides ``python -m hpexp`` takes and
return the rows as a DataFrame; ``hpexp.load_results(...)`` reads them back later.

Names are imported on first use, as ``concurrent.futures`` does: a worker process that unpickles
a task imports ``hpexp`` without paying for pandas, pyarrow or scipy.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpexp.analysis.stats import compare, summarize
    from hpexp.api.launch import executor, run, sweep, workload
    from hpexp.core.errors import ConfigError
    from hpexp.core.executor import Executor
    from hpexp.core.workload import Outcome, Workload
    from hpexp.results.store import load_results
    from hpexp.results.timeline import load_timelines

#: each public name and the module that defines it
_HOMES = {
    "ConfigError": "hpexp.core.errors",
    "Executor": "hpexp.core.executor",
    "Outcome": "hpexp.core.workload",
    "Workload": "hpexp.core.workload",
    "compare": "hpexp.analysis.stats",
    "summarize": "hpexp.analysis.stats",
    "load_results": "hpexp.results.store",
    "load_timelines": "hpexp.results.timeline",
    "executor": "hpexp.api.launch",
    "run": "hpexp.api.launch",
    "sweep": "hpexp.api.launch",
    "workload": "hpexp.api.launch",
}

__all__ = [
    "ConfigError",
    "Executor",
    "Outcome",
    "Workload",
    "compare",
    "executor",
    "load_results",
    "load_timelines",
    "run",
    "summarize",
    "sweep",
    "workload",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'hpexp' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
