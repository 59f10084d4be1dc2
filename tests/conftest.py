"""Shared helpers: compose configs in-process, or run the real CLI in a subprocess."""

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from multiprocessing import resource_tracker
from pathlib import Path

import psutil
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from hpexp.app import conf_dir
from hpexp.progress import Progress
from hpexp.runner import build_job, run_trials

IDENTITY = {"sweep_id": "test", "job": 0, "workload": "w", "executor": "x", "overrides": ""}


@pytest.fixture
def make_config() -> Iterator[Callable[..., DictConfig]]:
    """Compose the real ``conf/`` with overrides, exactly as the CLI would (minus the job dir)."""
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        yield lambda *overrides: compose(config_name="config", overrides=list(overrides))


def measure(make_config: Callable[..., DictConfig], *overrides: str) -> list[dict]:
    """The rows of one job composed from the real ``conf/``, measured in this process."""
    cfg = make_config(*overrides)
    return run_trials(build_job(cfg, IDENTITY, Progress("test", enabled=False))).rows


def files_under(path: Path) -> list[str]:
    """Every file below ``path`` (none when it does not exist): what a run left behind."""
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())


def run_cli(
    *args: str, cwd: Path, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m hpexp ARGS`` in ``cwd``; results land in ``cwd/results``."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run(
        [sys.executable, "-m", "hpexp", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def no_children_left():
    """Fails the test if it leaves a child process behind (multiprocessing's tracker may stay)."""
    resource_tracker.ensure_running()
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    _gone, alive = psutil.wait_procs(left, timeout=5)
    for proc in alive:
        proc.kill()
    assert not alive, f"child processes left running: {alive}"
