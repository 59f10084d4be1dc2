"""hpexp's Hydra sweeper: Hydra's basic sweeper, with rounds, and each job's config composed once.

With ``rounds`` > 1 every configuration of the sweep is visited once per round, round-major,
shuffled within each round when ``order`` says so (:mod:`hpexp.api.rounds`); the launcher
gets the visits as ordinary jobs, in that order, in batches as the basic sweeper makes them.

The basic sweeper composes every job's config before the batch starts, to refuse a bad job
before any job runs, then throws it away; the launcher composes it again. Composing hpexp's
config is most of what a trivial job costs, so this sweeper keeps what it composed and hands it
to the launcher, whichever launcher it is (basic, joblib, submitit: each asks its config loader).
"""

from collections.abc import Sequence
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.types import Override
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hpexp.api.rounds import plan_of


class ComposeOnce:
    """A config loader that hands out each job's validated config once, then composes anew.

    Everything else is the wrapped loader's: this is an attribute proxy, so a launcher that
    pickles its context into job processes pickles the loader with it.
    """

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.composed: dict[tuple[str, ...], DictConfig] = {}

    def compose_for(self, master_config: DictConfig, overrides: Sequence[str]) -> None:
        """Compose a job's config now (raising what composing raises) and keep it."""
        key = tuple(overrides)
        self.composed[key] = self.loader.load_sweep_config(master_config, list(overrides))

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: list[str]) -> Any:
        kept = self.composed.pop(tuple(sweep_overrides), None)
        if kept is not None:
            return kept
        return self.loader.load_sweep_config(master_config, sweep_overrides)

    def __getattr__(self, name: str) -> Any:
        if name == "loader":  # not set yet: unpickling looks before __dict__ is filled
            raise AttributeError(name)
        return getattr(self.loader, name)


class HpexpSweeper(BasicSweeper):
    """The basic sweeper's configurations, visited ``rounds`` times; every job's config
    composed once."""

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.compose_once = ComposeOnce(hydra_context.config_loader)
        context = HydraContext(config_loader=self.compose_once, callbacks=hydra_context.callbacks)
        super().setup(hydra_context=context, task_function=task_function, config=config)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        for overrides in batch:
            self.compose_once.compose_for(self.config, overrides)

    def split_arguments(  # type: ignore[override]  # an instance's: it reads the sweep's plan
        self, overrides: list[Override], max_batch_size: int | None
    ) -> list[list[list[str]]]:
        (configurations,) = BasicSweeper.split_arguments(overrides, None)
        plan = plan_of(self.config)
        plan.announce(configurations)
        jobs = plan.jobs(configurations)
        size = max_batch_size or len(jobs)
        return [jobs[start : start + size] for start in range(0, len(jobs), size)]
