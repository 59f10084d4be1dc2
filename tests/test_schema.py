"""Every row every built-in workload writes on every built-in executor fits the one schema, and
every such job leaves the machine with the processes it found (no pool, cluster, server or
joblib's reusable loky workers outlive it)."""

import math
import shutil
from datetime import datetime

import pytest

from hpexp.api.launch import conf_dir
from hpexp.results.schema import BY_NAME, REQUIRED, STATUSES, Kind, kind_of
from hpexp.results.store import load_results, to_frame, write_atomic
from tests.conftest import measure, own_processes

EXECUTORS = [
    pytest.param(name, marks=pytest.mark.skipif(not shutil.which("pypy3"), reason="no pypy3"))
    if name == "interpreter"
    else name
    for name in sorted(path.stem for path in (conf_dir() / "executor").glob("*.yaml"))
]
WORKLOADS = sorted(path.stem for path in (conf_dir() / "workload").glob("*.yaml"))
#: the smallest run of each workload that still exercises its drivers
SMALL = {
    "pi": ["workload.samples=2000"],
    "julia": ["workload.width=30", "workload.max_iterations=20"],
    "eventloop": ["workload.callbacks=40", "workload.chains=2"],
    "crawl": ["workload.requests=4", "workload.delay_ms=0"],
    "hashsave": ["workload.tasks=3", "workload.difficulty=4", "workload.delay_ms=0"],
    "primes": ["workload.count=40"],
    "prime_check": ["workload.numbers=[1000003,15]"],
    "counter": ["workload.increments=5"],
    "shared_array": ["workload.size=1000"],
    "diffusion": ["workload.grid_shape=[8,6]", "workload.iterations=3"],
}
#: executors that cannot hand shared state (counter's default value store) to their workers
CANNOT_SHARE = {"dask", "gevent", "joblib"}
#: the workloads whose default impl is a pure-Python loop another interpreter runs
CROSS_TO_ANOTHER_PYTHON = {"julia", "pi"}
#: the Python types a value of each dtype may have in a row (None: not measured)
TYPES = {
    "string": str,
    "category": str,
    "int64": int,
    "Int64": int,
    "float64": (float, int),
    "datetime64[ns, UTC]": datetime,
}
SCALARS = (type(None), bool, int, float, str)
#: what a job that failed before measuring has no value for (the store fills them with NaN)
MEASURED = {
    "wall_s",
    "cpu_s",
    "tasks",
    "units",
    "throughput",
    "max_rss_mb",
    "foreign_cpu_s",
    "ended_at",
}


def check_row(row: dict) -> None:
    assert row["status"] in STATUSES
    missing = set(REQUIRED) - set(row)
    assert missing <= (set() if "wall_s" in row else MEASURED), missing
    for name, value in row.items():
        if name in BY_NAME:
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                assert isinstance(value, TYPES[BY_NAME[name].dtype]), (name, value)
        else:
            assert kind_of(name) in (Kind.metric, Kind.parameter, Kind.environment), name
            assert isinstance(value, SCALARS), (name, value)


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_row_fits_the_schema(tmp_path, cluster_address, server, workload, executor):
    # the rows are the same from a LocalCluster or a delay server per job (test_dask,
    # test_crawl, test_ch8) and from ones shared by the module, which spares starting 35
    where = [f"executor.address={cluster_address}"] if executor == "dask" else []
    if workload in ("crawl", "hashsave"):
        where.append(f"workload.url={server.url}")
    before = own_processes()
    rows = measure(
        f"workload={workload}",
        f"executor={executor}",
        *where,
        *SMALL[workload],
        "workers=2",
        "repeats=2",
        "warmup=0",
    )
    left = own_processes() - before
    assert not left, f"the job left the machine with more processes than it found: {left}"
    skipped = (workload == "counter" and executor in CANNOT_SHARE) or (
        executor == "interpreter" and workload not in CROSS_TO_ANOTHER_PYTHON
    )
    expected = ["skipped"] if skipped else ["ok", "ok"]
    assert [row["status"] for row in rows] == expected, rows[-1]["error"]
    for row in rows:
        check_row(row)
    frame = to_frame(rows)
    for name in frame.columns:
        if name in BY_NAME:
            assert str(frame[name].dtype) == BY_NAME[name].dtype, name
    write_atomic(frame, tmp_path / "results.parquet")
    assert len(load_results(tmp_path)) == len(expected)


def test_failed_rows_fit_the_schema(tmp_path):
    bad_url = "http://127.0.0.1:9"  # discard port: nothing listens, every request is refused
    wrong = measure("workload=crawl", f"workload.url={bad_url}", "repeats=1")
    unreachable = measure("executor=dask", "executor.address=tcp://127.0.0.1:9",
        "executor.connect_timeout_s=0.5", "repeats=1",
    )  # fmt: skip
    assert [row["status"] for row in wrong + unreachable] == ["error", "error"]
    assert wrong[0]["wall_s"] > 0, "measured: every request was refused"
    assert math.isnan(unreachable[0]["wall_s"]), "failed in setup, before measuring"
    for row in wrong + unreachable:
        check_row(row)
    frame = to_frame(wrong + unreachable)
    assert all(str(frame[n].dtype) == BY_NAME[n].dtype for n in frame.columns if n in BY_NAME)
    assert math.isnan(frame["wall_s"].iloc[1])


def test_columns_are_ordered_by_kind():
    keys = {"job": 0, "workers": 1, "repeat": 0}
    rows = [
        {"version.numpy": "2", "pi_estimate": 3.1, "workload.samples": 5, "seed": 0, **keys},
        {"status": "ok", "hostname": "h", "repeats": 5, **keys},
    ]
    columns = list(to_frame(rows).columns)
    kinds = [kind_of(name) for name in columns]
    assert kinds == sorted(kinds, key=list(Kind).index)
    assert columns.index("pi_estimate") < columns.index("seed") < columns.index("repeats")
    assert columns[-1] == "version.numpy"
