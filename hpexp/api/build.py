"""From a composed config to a job of plain Python objects, validated before anything runs.

Only a config group's own ``_target_`` is imported and called, with the group's values as plain
data: a value typed on the command line is never instantiated, whatever ``_target_`` it holds.
"""

import importlib.util
from dataclasses import dataclass, fields
from typing import Any

from hydra._internal.utils import _locate
from omegaconf import DictConfig, OmegaConf

from hpexp.api.hydra_errors import unknown_top_level_key
from hpexp.api.rounds import plan_of
from hpexp.api.schema import HpexpConfig
from hpexp.api.signature import check_keys, wrongly_typed
from hpexp.api.targets import NotAPlugin, check_plugin_module
from hpexp.core.cpu_sampler import SHORTEST_INTERVAL_S
from hpexp.core.environment import library_versions, machine
from hpexp.core.errors import (
    ConfigError,
    MissingDependency,
    Refused,
    require_int,
    require_seconds,
)
from hpexp.core.executor import Executor
from hpexp.core.progress import Progress
from hpexp.core.trials import Job, Trials, run_trials
from hpexp.core.workload import Workload
from hpexp.results.rows import build_rows, parameters

#: more workers than a sweep can mean: ten million were accepted and spent minutes starting
#: threads before a line was printed (greenlets and event-loop tasks by the ten thousand are
#: the book's own experiments, so the bound is far above them)
MAX_WORKERS = 65536

#: the top-level keys of the schema: a ``+key=value`` that adds any other is refused
TOP_LEVEL_KEYS = {f.name for f in fields(HpexpConfig)} - {"defaults"}


@dataclass
class PlannedJob:
    """A job ready to run, and the columns every one of its rows shares."""

    job: Job
    columns: dict[str, Any]

    def measure(self) -> tuple[list[dict[str, Any]], Trials]:
        """Run the job: its rows, and its trials (their timelines, and the traceback of the
        failure that ended the job, if any)."""
        trials = run_trials(self.job)
        return build_rows(self.columns, trials), trials


def _plain(group: str, node: Any) -> dict[str, Any]:
    """A group's config node as plain containers: data to pass on and to pickle into workers."""
    container = OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node
    if not isinstance(container, dict):
        raise ConfigError(group, container, "a config group with a _target_")
    return container


def _missing_module(exc: BaseException) -> str | None:
    """The top-level package that is not installed, if that is why ``exc`` happened."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ModuleNotFoundError) and seen.name:
            package = seen.name.split(".")[0]
            return package if importlib.util.find_spec(package) is None else None
        seen = seen.__cause__ or seen.__context__
    return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def build_plugin(group: str, params: dict[str, Any], base: type, **kwargs: Any) -> Any:
    """Import the group's ``_target_``, check it is a ``base``, check the values against its
    signature (:mod:`hpexp.api.signature`), and call it with them."""
    key, target = f"{group}._target_", params.get("_target_", "")
    if not isinstance(target, str):
        raise ConfigError(key, target, "a class path: module.Class")
    try:
        check_plugin_module(target)
    except NotAPlugin as exc:
        raise ConfigError(key, target, str(exc)) from None
    try:
        # hydra's own locator (get_class logs each failure before raising it; hydra-core is
        # pinned below 1.4 in pyproject.toml)
        cls = _locate(target)
    except Exception as exc:
        missing = _missing_module(exc)
        if missing:
            raise MissingDependency(key, target, missing) from None
        raise ConfigError(key, target, f"an importable class ({_first_line(exc)})") from None
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ConfigError(key, target, f"a subclass of {base.__qualname__}")
    values = {k: v for k, v in params.items() if k != "_target_"}
    check_keys(group, cls, values, given=list(kwargs))
    wrong = wrongly_typed(group, cls, values)
    try:
        built = cls(**values, **kwargs)
    except ConfigError as exc:
        raise exc.under(group) from None
    except Exception as exc:
        if wrong is not None:
            raise wrong from None
        if isinstance(exc, TypeError):
            allowed = f"a class taking these keys ({_first_line(exc)})"
            raise ConfigError(key, target, allowed) from None
        raise
    if wrong is not None:
        raise wrong
    return built


def _sampling_interval(value: Any) -> float:
    """``sample_cpus_s``: 0 (off), or at least the kernel's 10 ms tick, which counts CPU time."""
    seconds = require_seconds("sample_cpus_s", value, zero_ok=True)
    if 0 < seconds < SHORTEST_INTERVAL_S:
        allowed = f"0 (off) or a number of seconds >= {SHORTEST_INTERVAL_S:g} (the kernel's tick)"
        raise ConfigError("sample_cpus_s", value, allowed)
    return seconds


def build_job(cfg: DictConfig, identity: dict[str, Any], progress: Progress) -> PlannedJob:
    """Validate every value and build the job; raises ConfigError before anything is written."""
    unknown = sorted(set(cfg) - TOP_LEVEL_KEYS)
    if unknown:
        raise Refused(unknown[0], unknown_top_level_key(unknown[0], cfg, sorted(TOP_LEVEL_KEYS)))
    workers = require_int("workers", cfg.workers, 1, MAX_WORKERS)
    repeats = require_int("repeats", cfg.repeats, 1)
    warmup = require_int("warmup", cfg.warmup, 0)
    seed = require_int("seed", cfg.seed, 0)
    trial_timeout_s = require_seconds("trial_timeout_s", cfg.trial_timeout_s)
    quiet_wait_s = require_seconds("quiet_wait_s", cfg.quiet_wait_s, zero_ok=True)
    sample_cpus_s = _sampling_interval(cfg.sample_cpus_s)
    workload_params = _plain("workload", cfg.workload)
    executor_params = _plain("executor", cfg.executor)
    workload = build_plugin("workload", workload_params, Workload)
    executor = build_plugin("executor", executor_params, Executor, workers=workers)
    columns = {
        **identity,
        "workers": workers,
        **parameters("workload", workload_params),
        **parameters("executor", executor_params),
        **parameters("workload", workload.describe(workers)),
        "seed": seed,
        "warmup": warmup,
        "repeats": repeats,
        "rounds": plan_of(cfg).rounds,
        "problem": ",".join(f"workload.{name}" for name in workload.problem),
        "trial_timeout_s": trial_timeout_s,
        "quiet_wait_s": quiet_wait_s,
        "sample_cpus_s": sample_cpus_s,
        **machine(),
        **library_versions(workload.libraries + executor.libraries),
    }
    job = Job(
        workload,
        executor,
        workers,
        repeats,
        warmup,
        seed,
        trial_timeout_s=trial_timeout_s,
        quiet_wait_s=quiet_wait_s,
        sample_cpus_s=sample_cpus_s,
        progress=progress,
    )
    return PlannedJob(job, columns)
