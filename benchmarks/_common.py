"""Helpers shared by the benchmark scripts: compose hpexp's real config and print ratio tables."""

import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hpexp.cli.app import conf_dir
from hpexp.cli.build import build_job
from hpexp.core.progress import Progress


def hpexp_rows(*overrides: str) -> list[dict[str, Any]]:
    """One hpexp job, measured exactly as ``python -m hpexp`` would, minus the files."""
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=list(overrides))
    identity = {"sweep_id": "bench", "job": 0, "workload": "?", "executor": "?", "overrides": ""}
    identity |= {"config_hash": "bench", "launcher": "basic"}
    rows, _ = build_job(cfg, identity, Progress("bench", enabled=False)).measure()
    failed = [r["error"] for r in rows if r["status"] != "ok"]
    if failed:
        raise SystemExit(f"hpexp run failed: {failed[0]}")
    return rows


def median_wall(rows: list[dict[str, Any]]) -> float:
    return statistics.median(r["wall_s"] for r in rows)


def interleaved(rounds: int, **contenders: Callable[[], float]) -> dict[str, list[float]]:
    """Alternate the contenders round by round, so machine noise hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run_once in contenders.items():
            times[name].append(run_once())
    return times


def report(title: str, lines: list[tuple[str, float, str, bool]]) -> bool:
    """Print ``name  value  target  met`` lines; True when every target is met."""
    print(f"\n{title}")
    for name, value, target, met in lines:
        print(f"  {name:<48} {value:>10.3f}   target {target:<8} {'met' if met else 'MISSED'}")
    return all(met for *_, met in lines)
