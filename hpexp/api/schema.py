"""The top-level keys' schema: the types Hydra checks hpexp's own keys against.

``conf/config.yaml`` holds their defaults, once, and names this schema in its defaults list, so
a typo'd key or a wrongly typed value is refused at composition time. A workload's and an
executor's keys are their class's constructor parameters (:mod:`hpexp.api.signature`).
"""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


@dataclass
class HpexpConfig:
    """Top-level keys. ``workload``/``executor`` are open nodes so users can plug in their own."""

    workload: Any = MISSING
    executor: Any = MISSING
    workers: int = MISSING
    repeats: int = MISSING
    warmup: int = MISSING
    seed: int = MISSING
    trial_timeout_s: float = MISSING
    quiet_wait_s: float = MISSING
    sample_cpus_s: float = MISSING
    resume: bool = MISSING
    rounds: int = MISSING
    order: str = MISSING
    round: int = MISSING
    results_dir: str = MISSING
    progress: bool = MISSING
    report: bool = MISSING
    defaults: list[Any] = field(default_factory=list)


def register_schemas() -> None:
    """Store the top-level schema that ``conf/config.yaml`` names in its defaults list."""
    ConfigStore.instance().store(name="hpexp_schema", node=HpexpConfig)
