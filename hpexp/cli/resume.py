"""Resuming a sweep: Hydra has no such feature, so hpexp adds it in two small steps.

1. Before Hydra starts, ``resume=true`` with ``-m`` finds the newest earlier sweep whose
   ``multirun.yaml`` recorded exactly the same overrides (same order, so the same job numbers)
   and points Hydra at it with ``hydra.sweep.dir=...``.
2. Each job then skips itself if its dir already holds complete results for the same overrides
   and the same resolved config (``config_hash``, made here; the check is
   :func:`hpexp.results.resume.complete_results`); a missing, failed, timed-out or stale job
   runs again and replaces its file atomically.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from hydra._internal.utils import get_args_parser
from omegaconf import DictConfig, OmegaConf

from hpexp.core.errors import ConfigError


def run_only_keys(hydra_config: Any) -> list[str]:
    """Keys that change how a sweep runs, not what it measures.

    One list, in ``conf/config.yaml``: Hydra leaves them out of ``override_dirname`` (the
    ``overrides`` column), and resume ignores them when it matches sweeps and configs.
    """
    return list(hydra_config.job.config.override_dirname.exclude_keys)


def config_hash(cfg: DictConfig, run_only: list[str]) -> str:
    """A short fingerprint of everything that decides what a job measures."""
    container = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    assert isinstance(container, dict)
    measured = {k: v for k, v in container.items() if k not in run_only}
    text = json.dumps(measured, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def _measured(overrides: list[str], run_only: list[str]) -> list[str]:
    """The overrides that decide what a sweep measures, as ``multirun.yaml`` records them.

    Hydra records ``hydra.*`` overrides (``hydra.searchpath``, ...) apart from the task's, so
    they are left out on both sides.
    """
    return [o for o in overrides if _key(o) not in run_only and not _key(o).startswith("hydra.")]


def _results_root(overrides: list[str], base: DictConfig) -> Path:
    for override in overrides:
        if _key(override) == "results_dir":
            return Path(override.split("=", 1)[1])
    return Path(base.get("results_dir", "results"))


def _recorded_overrides(multirun_yaml: Path) -> list[str] | None:
    try:
        recorded = OmegaConf.load(multirun_yaml).hydra.overrides.task
    except Exception:
        return None
    return [str(o) for o in recorded]


def with_resumed_sweep_dir(argv: list[str], conf_dir: Path) -> list[str]:
    """``argv`` with ``hydra.sweep.dir=<earlier sweep>`` among its overrides when it resumes.

    Hydra's parser takes the overrides as one contiguous run of arguments, so the new one goes
    right before the user's first override.
    """
    override = _sweep_dir_override(argv, conf_dir)
    if override is None:
        return argv
    first = next(i for i, arg in enumerate(argv) if "=" in arg and not arg.startswith("-"))
    return [*argv[:first], override, *argv[first:]]


def _sweep_dir_override(argv: list[str], conf_dir: Path) -> str | None:
    """``hydra.sweep.dir=<earlier sweep>`` when ``argv`` asks to resume, else None."""
    args, _ = get_args_parser().parse_known_args(argv)
    overrides = list(args.overrides or [])
    resume = [o.split("=", 1)[1].lower() for o in overrides if _key(o) == "resume"]
    if not resume or resume[-1] != "true":
        return None
    if not args.multirun:
        raise ConfigError(
            "resume", True, "true only with -m (resume re-runs a sweep's missing jobs)"
        )
    if any(_key(o) == "hydra.sweep.dir" for o in overrides):
        return None
    base = OmegaConf.load(conf_dir / "config.yaml")
    run_only = run_only_keys(base.hydra)
    root = _results_root(overrides, base)
    wanted = _measured(overrides, run_only)
    candidates = sorted(
        (f.parent for f in (root / "sweeps").glob("*/*/multirun.yaml")),
        key=lambda d: d.as_posix(),
        reverse=True,
    )
    for sweep_dir in candidates:
        recorded = _recorded_overrides(sweep_dir / "multirun.yaml")
        if recorded is not None and _measured(recorded, run_only) == wanted:
            return f"hydra.sweep.dir={sweep_dir.as_posix()}"
    raise ConfigError(
        "resume", True, f"a sweep with the same overrides under {root / 'sweeps'} (none found)"
    )
