"""The Hydra callback: which of a sweep's jobs starts, as it starts.

It runs where the job runs (in a joblib or submitit launcher's process too), so it holds
nothing but the sweep's size; what the sweep gave is the caller's (:mod:`hpexp.api.launch`).
"""

import math
import sys
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig


def sweep_size(config: DictConfig) -> int:
    """How many jobs the sweeper will launch for this sweep's overrides."""
    params = config.hydra.sweeper.get("params") or {}
    overrides = [*config.hydra.overrides.task, *(f"{k}={v}" for k, v in params.items())]
    parsed = OverridesParser.create().parse_overrides(overrides)
    configurations = math.prod(
        len(list(o.sweep_string_iterator())) for o in parsed if o.is_sweep_override()
    )
    return configurations * config.rounds


class ResultsCallback(Callback):
    def __init__(self) -> None:
        self.jobs = 0

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.jobs = sweep_size(config)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Say at once which of a sweep's jobs starts, by the number its dir and rows carry."""
        job = config.hydra.job
        if self.jobs:
            label = job.override_dirname or "defaults"
            print(f"hpexp: job {job.num} ({job.num + 1} of {self.jobs}): {label}", file=sys.stderr)
