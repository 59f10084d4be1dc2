"""hpexp's Hydra sweeper: Hydra's basic sweeper, with each job's config composed once.

The basic sweeper composes every job's config before the batch starts, to refuse a bad job
before any job runs, then throws it away; the launcher composes it again. Composing hpexp's
config is most of what a trivial job costs, so this sweeper keeps what it composed and hands it
to the launcher, whichever launcher it is (basic, joblib, submitit: each asks its config loader).
"""

from collections.abc import Sequence
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


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
    """The basic sweeper's order and batches; every job's config composed once."""

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.compose_once = ComposeOnce(hydra_context.config_loader)
        context = HydraContext(config_loader=self.compose_once, callbacks=hydra_context.callbacks)
        super().setup(hydra_context=context, task_function=task_function, config=config)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        for overrides in batch:
            self.compose_once.compose_for(self.config, overrides)
