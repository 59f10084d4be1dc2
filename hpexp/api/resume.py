"""Resuming a sweep: Hydra has no such feature, so hpexp adds it in two small steps.

1. Before the sweep starts, ``resume=true`` finds the newest earlier sweep whose
   ``multirun.yaml`` recorded exactly the same overrides (same order, so the same job numbers)
   and the sweep runs in its dir.
2. Each job then skips itself if its dir already holds complete results for the same overrides
   and the same resolved config (``config_hash``, made here; the check is
   :func:`hpexp.results.resume.complete_results`); a missing, failed, timed-out or stale job
   runs again and replaces its file atomically.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

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


def _recorded_overrides(multirun_yaml: Path) -> list[str] | None:
    try:
        recorded = OmegaConf.load(multirun_yaml).hydra.overrides.task
    except Exception:
        return None
    return [str(o) for o in recorded]


def earlier_sweep_dir(overrides: list[str], config: DictConfig) -> Path | None:
    """The newest earlier sweep with the same measured overrides, when ``config`` resumes.

    None when it does not resume, or names its own ``hydra.sweep.dir`` (resumed in place).
    """
    if not config.resume or any(_key(o) == "hydra.sweep.dir" for o in overrides):
        return None
    run_only = run_only_keys(config.hydra)
    root = Path(config.results_dir)
    wanted = _measured(overrides, run_only)
    candidates = sorted(
        (f.parent for f in (root / "sweeps").glob("*/*/multirun.yaml")),
        key=lambda d: d.as_posix(),
        reverse=True,
    )
    for sweep_dir in candidates:
        recorded = _recorded_overrides(sweep_dir / "multirun.yaml")
        if recorded is not None and _measured(recorded, run_only) == wanted:
            return sweep_dir
    raise ConfigError(
        "resume", True, f"a sweep with the same overrides under {root / 'sweeps'} (none found)"
    )
