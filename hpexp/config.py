"""Structured-config schema: Hydra type-checks every override against these before a job runs.

The YAML files in ``conf/`` extend these dataclasses (each names its schema in its defaults list),
so a typo'd key or a wrongly typed value is refused at composition time, and enum fields list
their allowed values. Range checks (``workers >= 1``) that types cannot express are done by
:func:`hpexp.validation.require` in the classes that take the values.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


class PiImpl(StrEnum):
    python = "python"
    numpy = "numpy"


class EventloopStyle(StrEnum):
    callback = "callback"
    future = "future"


class StartMethod(StrEnum):
    fork = "fork"
    spawn = "spawn"
    forkserver = "forkserver"


class EventLoop(StrEnum):
    asyncio = "asyncio"
    uvloop = "uvloop"


class JoblibBackend(StrEnum):
    loky = "loky"
    threading = "threading"
    multiprocessing = "multiprocessing"
    dask = "dask"


@dataclass
class PiConfig:
    _target_: str = "hpexp.workloads.pi.MonteCarloPi"
    samples: int = 10_000_000
    impl: PiImpl = PiImpl.python
    chunks: int | None = None


@dataclass
class EventloopConfig:
    _target_: str = "hpexp.workloads.eventloop.HelloWorldLoop"
    callbacks: int | None = None
    chains: int = 1
    style: EventloopStyle = EventloopStyle.callback


@dataclass
class CrawlConfig:
    _target_: str = "hpexp.workloads.crawl.Crawl"
    requests: int = 500
    delay_ms: int = 100
    url: str | None = None
    timeout_s: float = 30.0


@dataclass
class SerialConfig:
    _target_: str = "hpexp.executors.serial.SerialExecutor"


@dataclass
class ThreadsConfig:
    _target_: str = "hpexp.executors.threads.ThreadsExecutor"


@dataclass
class PoolConfig:
    _target_: str = "hpexp.executors.process_pool.ProcessPoolExecutor"
    start_method: StartMethod | None = None
    chunksize: int | None = None


@dataclass
class JoblibConfig:
    _target_: str = "hpexp.executors.joblib_parallel.JoblibExecutor"
    backend: JoblibBackend = JoblibBackend.loky
    batch_size: Any = None
    address: str | None = None
    connect_timeout_s: float = 10.0


@dataclass
class DaskConfig:
    _target_: str = "hpexp.executors.dask_cluster.DaskExecutor"
    address: str | None = None
    connect_timeout_s: float = 10.0


@dataclass
class AsyncioConfig:
    _target_: str = "hpexp.executors.asyncio_loop.AsyncioExecutor"
    loop: EventLoop = EventLoop.asyncio


@dataclass
class TornadoConfig:
    _target_: str = "hpexp.executors.tornado_loop.TornadoExecutor"


@dataclass
class GeventConfig:
    _target_: str = "hpexp.executors.gevent_pool.GeventExecutor"


@dataclass
class HpexpConfig:
    """Top-level keys. ``workload``/``executor`` are open nodes so users can plug in their own."""

    workload: Any = MISSING
    executor: Any = MISSING
    workers: int = 1
    repeats: int = 5
    warmup: int = 1
    seed: int = 0
    trial_timeout_s: float = 600.0
    resume: bool = False
    results_dir: str = "results"
    progress: bool = True
    report: bool = True
    defaults: list[Any] = field(default_factory=list)


SCHEMAS: dict[str, dict[str, type]] = {
    "workload": {"pi": PiConfig, "eventloop": EventloopConfig, "crawl": CrawlConfig},
    "executor": {
        "serial": SerialConfig,
        "threads": ThreadsConfig,
        "pool": PoolConfig,
        "joblib": JoblibConfig,
        "asyncio": AsyncioConfig,
        "tornado": TornadoConfig,
        "gevent": GeventConfig,
        "dask": DaskConfig,
    },
}


def register_schemas() -> None:
    """Store the schemas under ``schema/<group>/<name>`` so they never show up as group options."""
    store = ConfigStore.instance()
    store.store(name="hpexp_schema", node=HpexpConfig)
    for group, schemas in SCHEMAS.items():
        for name, node in schemas.items():
            store.store(group=f"schema/{group}", name=name, node=node)
