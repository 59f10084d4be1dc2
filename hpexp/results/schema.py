"""Every result column in one place: its name, its dtype, and what kind of column it is.

A row holds the fixed columns below plus columns each workload and executor adds: workload
metrics (``pi_estimate``), parameters (``workload.samples``, ``executor.chunksize``) and library
versions (``version.numpy``). :func:`kind_of` classifies any column name, so storage, ordering
and analysis never guess from names themselves.
"""

from dataclasses import dataclass
from enum import StrEnum

from hpexp.core.status import Status


class Kind(StrEnum):
    #: which sweep, job, configuration and repeat a row belongs to
    identity = "identity"
    #: what hpexp measured around the run
    measurement = "measurement"
    #: what the workload reported (``pi_estimate``, ``latency_p50_ms``, ...)
    metric = "metric"
    #: a setting that decides what is measured (``workload.*``, ``executor.*``, ``seed``, ...)
    parameter = "parameter"
    #: a setting of how the job ran, not of what it measures (more repeats measure the same)
    run = "run"
    #: where and when the row was measured
    environment = "environment"


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    kind: Kind
    #: present in every results file (others appear where a workload or executor writes them)
    required: bool = True


COLUMNS = (
    Column("sweep_id", "string", Kind.identity),
    Column("job", "int64", Kind.identity),
    Column("workload", "category", Kind.identity),
    Column("executor", "category", Kind.identity),
    Column("workers", "int64", Kind.identity),
    Column("repeat", "int64", Kind.identity),
    #: which round of a sweep with ``rounds`` the job visited (files from before rounds lack it)
    Column("round", "Int64", Kind.identity, required=False),
    Column("overrides", "string", Kind.identity),
    Column("config_hash", "string", Kind.identity),
    Column("wall_s", "float64", Kind.measurement),
    Column("cpu_s", "float64", Kind.measurement),
    Column("setup_s", "float64", Kind.measurement),
    Column("tasks", "Int64", Kind.measurement),
    Column("units", "float64", Kind.measurement),
    Column("throughput", "float64", Kind.measurement),
    Column("ideal_s", "float64", Kind.measurement, required=False),
    #: ideal_s / wall_s (a summary's ``efficiency`` is speedup / workers: one name, one meaning)
    Column("ideal_fraction", "float64", Kind.measurement, required=False),
    Column("max_rss_mb", "float64", Kind.measurement),
    Column("foreign_cpu_s", "float64", Kind.measurement),
    #: time a cgroup CPU quota held the run back; empty without a quota
    Column("throttled_s", "float64", Kind.measurement, required=False),
    Column("status", "string", Kind.measurement),
    Column("error", "string", Kind.measurement),
    Column("seed", "Int64", Kind.parameter, required=False),
    Column("warmup", "Int64", Kind.parameter, required=False),
    Column("repeats", "Int64", Kind.run, required=False),
    #: the workload's problem parameters (``Workload.problem``), comma-separated column names
    Column("problem", "string", Kind.run, required=False),
    Column("rounds", "Int64", Kind.run, required=False),
    Column("trial_timeout_s", "float64", Kind.run, required=False),
    Column("quiet_wait_s", "float64", Kind.run, required=False),
    #: how often each CPU's busy share was sampled during the runs (timeline.parquet); 0: never
    Column("sample_cpus_s", "float64", Kind.run, required=False),
    Column("started_at", "datetime64[ns, UTC]", Kind.environment),
    Column("ended_at", "datetime64[ns, UTC]", Kind.environment),
    Column("launcher", "string", Kind.environment),
    Column("hostname", "string", Kind.environment),
    Column("platform", "string", Kind.environment),
    Column("python_version", "string", Kind.environment),
    Column("python_implementation", "string", Kind.environment),
    Column("cpu_count", "Int64", Kind.environment),
    Column("cpu_model", "string", Kind.environment),
    Column("hpexp_version", "string", Kind.environment),
    Column("usable_cpus", "Int64", Kind.environment),
    #: the CPUs a cgroup quota allows; empty when unlimited
    Column("cpu_quota", "float64", Kind.environment, required=False),
    #: the fastest of a fixed CPU probe's timings as the job started (hpexp.core.probe)
    Column("probe_s", "float64", Kind.environment, required=False),
    Column("load_avg_1m", "float64", Kind.environment),
    Column("cpu_governor", "string", Kind.environment),
    Column("quiet_waited_s", "float64", Kind.environment, required=False),
)
BY_NAME = {column.name: column for column in COLUMNS}
REQUIRED = {column.name: column.dtype for column in COLUMNS if column.required}
#: values of ``status``
STATUSES = tuple(Status)
#: the namespaces of parameter columns, and of the library versions an environment records
PARAMETER_PREFIXES = ("workload.", "executor.")
VERSION_PREFIX = "version."


def kind_of(name: str) -> Kind:
    """The kind of any column: fixed ones by the schema, the rest by their namespace."""
    if name in BY_NAME:
        return BY_NAME[name].kind
    if name.startswith(PARAMETER_PREFIXES):
        return Kind.parameter
    if name.startswith(VERSION_PREFIX):
        return Kind.environment
    return Kind.metric


def ordered(names: list[str]) -> list[str]:
    """Columns by kind (identity first, environment last): fixed ones in schema order, the
    others (metrics, parameters, versions) alphabetically after them."""
    rank = {name: index for index, name in enumerate(BY_NAME)}
    kinds = list(Kind)
    return sorted(names, key=lambda n: (kinds.index(kind_of(n)), rank.get(n, len(rank)), n))
