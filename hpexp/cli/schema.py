"""Structured-config schema: the types Hydra checks every value against before a job runs.

The YAML files in ``conf/`` hold every default, once; each names its schema here in its defaults
list, so a typo'd key or a wrongly typed value is refused at composition time. Allowed values
and ranges (``impl: python | numpy``, ``workers >= 1``) are checked once, by the class that takes
them, so Python callers and plugins get the same one-line errors.
"""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


@dataclass
class PiConfig:
    _target_: str = MISSING
    samples: int = MISSING
    impl: str = MISSING
    chunks: int | None = MISSING


@dataclass
class JuliaConfig:
    _target_: str = MISSING
    width: int = MISSING
    max_iterations: int = MISSING
    impl: str = MISSING
    chunks: int | None = MISSING


@dataclass
class EventloopConfig:
    _target_: str = MISSING
    callbacks: int | None = MISSING
    chains: int = MISSING
    style: str = MISSING


@dataclass
class CrawlConfig:
    _target_: str = MISSING
    requests: int = MISSING
    delay_ms: int = MISSING
    url: str | None = MISSING
    timeout_s: float = MISSING


@dataclass
class HashSaveConfig:
    _target_: str = MISSING
    tasks: int = MISSING
    difficulty: int = MISSING
    save: str = MISSING
    batch: int = MISSING
    delay_ms: int = MISSING
    url: str | None = MISSING
    timeout_s: float = MISSING


@dataclass
class PrimesConfig:
    _target_: str = MISSING
    start: int = MISSING
    count: int = MISSING


@dataclass
class PrimeCheckConfig:
    _target_: str = MISSING
    numbers: list[int] = MISSING
    flag: str = MISSING
    check_every: int = MISSING
    redis_url: str | None = MISSING


@dataclass
class CounterConfig:
    _target_: str = MISSING
    increments: int = MISSING
    store: str = MISSING
    locked: bool = MISSING
    redis_url: str | None = MISSING


@dataclass
class SharedArrayConfig:
    _target_: str = MISSING
    size: int = MISSING
    share: str = MISSING
    chunks: int | None = MISSING


@dataclass
class TargetOnlyConfig:
    """An executor whose only key is its class: serial, threads, tornado, gevent."""

    _target_: str = MISSING


@dataclass
class PoolConfig:
    _target_: str = MISSING
    start_method: str | None = MISSING
    chunksize: int | None = MISSING


@dataclass
class JoblibConfig:
    _target_: str = MISSING
    backend: str = MISSING
    #: null, an int or "auto": OmegaConf has no int-or-str type, the executor checks it
    batch_size: Any = MISSING
    address: str | None = MISSING
    connect_timeout_s: float = MISSING


@dataclass
class DaskConfig:
    _target_: str = MISSING
    address: str | None = MISSING
    connect_timeout_s: float = MISSING


@dataclass
class AsyncioConfig:
    _target_: str = MISSING
    loop: str = MISSING


@dataclass
class MpPoolConfig:
    _target_: str = MISSING
    start_method: str | None = MISSING
    method: str = MISSING
    chunksize: int | None = MISSING
    maxtasksperchild: int | None = MISSING


@dataclass
class MpDummyConfig:
    _target_: str = MISSING
    method: str = MISSING
    chunksize: int | None = MISSING


@dataclass
class MpQueueConfig:
    _target_: str = MISSING
    start_method: str | None = MISSING
    feeder: str = MISSING
    batch: int = MISSING


@dataclass
class MpPipeConfig:
    _target_: str = MISSING
    start_method: str | None = MISSING
    deal: str = MISSING


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
    resume: bool = MISSING
    results_dir: str = MISSING
    progress: bool = MISSING
    report: bool = MISSING
    defaults: list[Any] = field(default_factory=list)


SCHEMAS: dict[str, dict[str, type]] = {
    "workload": {
        "pi": PiConfig,
        "julia": JuliaConfig,
        "eventloop": EventloopConfig,
        "crawl": CrawlConfig,
        "hashsave": HashSaveConfig,
        "primes": PrimesConfig,
        "prime_check": PrimeCheckConfig,
        "counter": CounterConfig,
        "shared_array": SharedArrayConfig,
    },
    "executor": {
        "serial": TargetOnlyConfig,
        "threads": TargetOnlyConfig,
        "pool": PoolConfig,
        "joblib": JoblibConfig,
        "asyncio": AsyncioConfig,
        "uvloop": AsyncioConfig,
        "tornado": TargetOnlyConfig,
        "gevent": TargetOnlyConfig,
        "dask": DaskConfig,
        "mp_pool": MpPoolConfig,
        "mp_dummy": MpDummyConfig,
        "mp_queue": MpQueueConfig,
        "mp_pipe": MpPipeConfig,
    },
}


def register_schemas() -> None:
    """Store the schemas under ``schema/<group>/<name>`` so they never show up as group options."""
    store = ConfigStore.instance()
    store.store(name="hpexp_schema", node=HpexpConfig)
    for group, schemas in SCHEMAS.items():
        for name, node in schemas.items():
            store.store(group=f"schema/{group}", name=name, node=node)
