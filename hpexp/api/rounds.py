"""Rounds: a sweep that visits every configuration ``rounds`` times, round-major.

A machine's speed drifts over minutes (a neighbour, a thermal limit, a hypervisor), so a sweep
that measures each configuration in one stretch of time compares configurations measured on
different machines. Visiting every configuration once per round, in a shuffled order, spreads
each configuration over the whole sweep, and a ratio computed within each round (the analysis'
paired ratios) cancels what drifts between rounds. Google Benchmark's random interleaving and
asv's ``A B C ... A' B' C'`` sampling do the same.

Every visit is a normal job (its own setup, warmup and repeats, fresh pool workers) with one
more override, ``round=K``, which names the round in the rows and is left out of the
``overrides`` column, so the rounds of one configuration are one configuration.
"""

import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from omegaconf import DictConfig

from hpexp.core.errors import ConfigError, require_int

ORDERS = ("auto", "sequential", "random")
#: keys with one value per sweep: the sweep's shape, not a configuration of it
_ONE_PER_SWEEP = ("rounds", "order")


@dataclass(frozen=True)
class Plan:
    """How a sweep visits its configurations."""

    rounds: int
    #: ``sequential`` or ``random`` (``auto`` resolved)
    order: str
    seed: int

    def visits(self, configurations: Sequence[list[str]]) -> list[tuple[int, int]]:
        """``(round, configuration index)`` per visit, round-major, shuffled within each round
        when random: the same seed gives the same order, and a round's order does not depend
        on how many rounds follow it (so resume can add rounds to a sweep)."""
        visits = []
        for round_ in range(self.rounds):
            indices = list(range(len(configurations)))
            if self.order == "random":
                random.Random(f"hpexp-order:{self.seed}:{round_}").shuffle(indices)
            visits.extend((round_, index) for index in indices)
        return visits

    def jobs(self, configurations: Sequence[list[str]]) -> list[list[str]]:
        """Every visit's overrides: the configuration's and its ``round``."""
        return [[*configurations[i], f"round={r}"] for r, i in self.visits(configurations)]

    def announce(self, configurations: Sequence[list[str]]) -> None:
        """The visit order on stderr, when there is more than one round to order."""
        if self.rounds == 1:
            return
        count = len(configurations)
        how = f"random order (seed {self.seed})" if self.order == "random" else "sequential order"
        lines = [
            f"hpexp: {count} configurations x {self.rounds} rounds = {count * self.rounds} "
            f"jobs, in {how}:"
        ]
        shared = set.intersection(*(set(c) for c in configurations)) if count > 1 else set()
        for index, configuration in enumerate(configurations):
            own = " ".join(o for o in configuration if o not in shared) or "defaults"
            lines.append(f"hpexp:   configuration {index}: {own}")
        visits = self.visits(configurations)
        for round_ in range(self.rounds):
            order = " ".join(str(i) for r, i in visits if r == round_)
            lines.append(f"hpexp:   round {round_}: configurations {order}")
        print("\n".join(lines), file=sys.stderr)


def plan_of(config: DictConfig) -> Plan:
    """The sweep's plan from its config; a ConfigError names a bad ``rounds`` or ``order``."""
    rounds = require_int("rounds", config.rounds, 1)
    if config.order not in ORDERS:
        raise ConfigError("order", config.order, "auto, sequential or random")
    order = config.order
    if order == "auto":
        order = "random" if rounds > 1 else "sequential"
    return Plan(rounds, order, require_int("seed", config.seed, 0))


def check_sweep_shape(overrides: list[str]) -> None:
    """``rounds`` and ``order`` take one value per sweep: they shape it, they are not swept."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.get_key_element()
        if key in _ONE_PER_SWEEP and override.is_sweep_override():
            value = (override.input_line or "").partition("=")[2]
            raise ConfigError(key, value, "one value per sweep")


def check_no_round(overrides: list[str]) -> None:
    """``round`` names a visit of a sweep with rounds: hpexp's sweeper sets it, users do not."""
    for override in overrides:
        key, equals, value = override.partition("=")
        if equals and key.lstrip("+~") == "round":
            raise ConfigError(
                "round", value, "no value of yours: the sweeper numbers the rounds (use rounds=N)"
            )
