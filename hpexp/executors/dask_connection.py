"""Connecting to dask.distributed: one set of rules for the dask executor and joblib's dask backend.

``address: null`` starts a private ``LocalCluster`` for the job: ``workers`` worker processes of
one thread each, dashboard off, so it measures the same parallelism as a process pool.
``address: tcp://host:port`` connects to a scheduler someone else runs and uses whatever workers
it has; connecting (and finding at least one worker) is bounded by ``connect_timeout_s``, so an
unreachable cluster fails the job with a clear message instead of hanging it.
"""

import logging
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hpexp.core.addresses import host_and_port_ok
from hpexp.core.errors import ConfigError, HpexpError, require_seconds

if TYPE_CHECKING:
    from distributed import Client

ADDRESS_FORM = "null | tcp://HOST:PORT"
_DASK_LOG = logging.getLogger("distributed")


class ClusterUnavailable(HpexpError):
    """The scheduler at ``address`` did not answer, or had no workers, within the timeout."""


def check_address(address: Any) -> str | None:
    """``address`` as ``tcp://host:port``, ``None`` for a local cluster, else a ConfigError."""
    if address is None:
        return None
    if not isinstance(address, str):
        raise ConfigError("address", address, ADDRESS_FORM)
    parts = urlsplit(address)
    if (
        parts.scheme != "tcp"
        or not host_and_port_ok(parts, port_required=True)
        or parts.path
        or parts.query
        or parts.fragment
    ):
        raise ConfigError("address", address, ADDRESS_FORM)
    return address


def check_timeout(seconds: Any) -> float:
    """A connect timeout in seconds: a finite number > 0, else ConfigError."""
    return require_seconds("connect_timeout_s", seconds)


@dataclass(frozen=True)
class ClusterShape:
    """What the client found: the cluster's real worker processes and threads."""

    workers: int
    threads: int


class DaskConnection:
    """A client, and the local cluster it owns when no address was given; ``close`` ends both.

    dask's INFO chatter (every worker and client that comes and goes) is held back to warnings
    while the connection lives, so stderr keeps hpexp's progress and real problems only.
    """

    def __init__(self, workers: int, address: str | None, connect_timeout_s: float) -> None:
        # here, not at the top: joblib's local backends validate addresses without dask
        from distributed import Client, LocalCluster

        self.address = address
        with ExitStack() as stack:
            stack.callback(_DASK_LOG.setLevel, _DASK_LOG.level)
            _DASK_LOG.setLevel(logging.WARNING)
            if address is None:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        # the scheduler's plain HTTP routes (health, metrics) still listen:
                        # a free loopback port, never a fixed 8787 shared with other clusters
                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    )
                )
                self.client = stack.enter_context(Client(cluster, set_as_default=False))
                stack.callback(self.client.run, _quiet_worker_logs, on_error="ignore")
            else:
                self.client = stack.enter_context(_connect(address, connect_timeout_s))
            nthreads = self.client.nthreads()
            self.shape = ClusterShape(workers=len(nthreads), threads=sum(nthreads.values()))
            self._resources = stack.pop_all()

    def close(self) -> None:
        """Close the client, then the local cluster (if any), then restore dask's log level."""
        self._resources.close()


def _quiet_worker_logs() -> None:
    """Run on each local worker just before the cluster closes.

    A worker whose heartbeat is in flight while the cluster retires it logs "Failed to communicate
    with scheduler during heartbeat" with a traceback (dask/distributed#7105): a known race in an
    orderly shutdown, not a failure. Task errors still reach the client as exceptions.
    """
    logging.getLogger("distributed").setLevel(logging.CRITICAL)


def _connect(address: str, timeout_s: float) -> "Client":
    from distributed import Client

    hint = f"within executor.connect_timeout_s={timeout_s:g} s"
    try:
        client = Client(address, timeout=timeout_s, set_as_default=False)
    except OSError as exc:
        raise ClusterUnavailable(
            f"cannot reach the dask scheduler at {address} {hint} "
            "(is `dask scheduler` running there?)"
        ) from exc
    try:
        client.wait_for_workers(1, timeout=timeout_s)
    except TimeoutError as exc:
        client.close()
        raise ClusterUnavailable(
            f"the dask scheduler at {address} has no workers {hint} "
            f"(start some with `dask worker {address}`)"
        ) from exc
    return client


def cluster_settings(address: str | None, shape: ClusterShape | None) -> dict[str, Any]:
    """The ``executor.*`` columns that say which cluster a job ran on and how big it really was."""
    return {
        "cluster": "local" if address is None else "existing",
        "cluster_workers": shape.workers if shape else None,
        "cluster_threads": shape.threads if shape else None,
    }
