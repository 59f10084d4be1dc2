"""The one row builder: the columns of a measured run, of a failed job, and of a job's settings."""

import math
from datetime import UTC, datetime

from hpexp.core.trials import Trial, Trials
from hpexp.results.rows import build_rows, parameters, scalar

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
LATER = datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC)


def test_a_measured_row_derives_throughput_and_ideal_fraction():
    trial = Trial(
        repeat=1, started_at=WHEN, setup_s=0.5, wall_s=2.0, cpu_s=1.5, max_rss_mb=100.0,
        foreign_cpu_s=0.25, throttled_s=0.125, ended_at=LATER, tasks=4, units=10.0,
        ideal_s=1.0, metrics={"pi_estimate": 3.14},
    )  # fmt: skip
    conditions = {"usable_cpus": 2, "load_avg_1m": 0.5, "cpu_governor": None}
    (row,) = build_rows({"job": 3}, Trials([trial], {"chunksize": 2}, conditions=conditions))
    assert row == {
        "job": 3,
        **conditions,
        "executor.chunksize": 2,
        "repeat": 1,
        "started_at": WHEN,
        "setup_s": 0.5,
        "status": "ok",
        "error": "",
        "wall_s": 2.0,
        "cpu_s": 1.5,
        "tasks": 4,
        "units": 10.0,
        "throughput": 5.0,
        "max_rss_mb": 100.0,
        "foreign_cpu_s": 0.25,
        "throttled_s": 0.125,
        "ended_at": LATER,
        "ideal_s": 1.0,
        "ideal_fraction": 0.5,
        "pi_estimate": 3.14,
    }


def test_a_row_without_an_ideal_time_has_no_ideal_fraction():
    trial = Trial(0, WHEN, 0.1, wall_s=1.0, cpu_s=1.0, max_rss_mb=1.0, tasks=1, units=1.0)
    (row,) = build_rows({}, Trials([trial], {}))
    assert "ideal_s" not in row
    assert "ideal_fraction" not in row


def test_a_failed_job_row_holds_only_what_is_known():
    (row,) = build_rows({"job": 0}, Trials([Trial(2, WHEN, math.nan, "timeout", "late")], {}))
    assert row.keys() == {"job", "repeat", "started_at", "setup_s", "status", "error"}
    assert (row["repeat"], row["status"], row["error"]) == (2, "timeout", "late")


def test_parameters_are_namespaced_scalars_without_the_target():
    values = {"_target_": "x.Y", "samples": 5, "limits": [1, 2], "opts": {"b": 1, "a": None}}
    assert parameters("workload", values) == {
        "workload.samples": 5,
        "workload.limits": "[1, 2]",
        "workload.opts": '{"a": null, "b": 1}',
    }
    assert [scalar(v) for v in (None, True, 1, 1.5, "s")] == [None, True, 1, 1.5, "s"]
