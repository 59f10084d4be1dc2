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


@pytest.fixture
def make_config() -> Iterator[Callable[..., DictConfig]]:
    """Compose the real ``conf/`` with overrides, exactly as the CLI would (minus the job dir)."""
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        yield lambda *overrides: compose(config_name="config", overrides=list(overrides))


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
