"""A measurement knows what disturbed it: other programs' CPU, and jobs that ran side by side."""

import pandas as pd
import pytest

import hpexp
from hpexp.analysis.contention import MIN_TIMED_S
from hpexp.analysis.stats import CpuLimit
from hpexp.analysis.tables import format_summary
from hpexp.analysis.verdict import verdict
from hpexp.core.quiet import CONTENDED_CPUS, LOOK_S, wait_for_quiet
from hpexp.results.store import to_frame
from tests.conftest import cpu_burner, measure

T0 = pd.Timestamp("2026-01-01", tz="UTC")


def job(number, workers, foreign_cpu_s=0.0, start_s=None, wall_s=1.0, host="a", sweep="s"):
    """Three 1-second runs of one job; by default each job starts after the last one ended."""
    start_s = 10.0 * number if start_s is None else start_s
    return [
        {
            "sweep_id": sweep,
            "job": number,
            "workload": "pi",
            "executor": "pool",
            "workers": workers,
            "status": "ok",
            "wall_s": wall_s,
            "foreign_cpu_s": foreign_cpu_s,
            "hostname": host,
            "started_at": T0 + pd.Timedelta(seconds=start_s + repeat * wall_s),
            "ended_at": T0 + pd.Timedelta(seconds=start_s + (repeat + 1) * wall_s),
        }
        for repeat in range(3)
    ]


def summary_of(*jobs):
    return hpexp.summarize(pd.DataFrame([row for rows in jobs for row in rows]))


def flags(summary, column="contended"):
    return dict(zip(summary["workers"], summary[column], strict=True))


def test_a_configuration_is_contended_when_other_work_took_more_than_the_threshold():
    summary = summary_of(
        job(0, 1, foreign_cpu_s=CONTENDED_CPUS * 0.9),
        job(1, 2, foreign_cpu_s=CONTENDED_CPUS * 1.1),
    )
    assert flags(summary, "foreign_cpus") == pytest.approx({1: 0.225, 2: 0.275})
    assert flags(summary) == {1: False, 2: True}
    assert flags(summary, "overlapped") == {1: False, 2: False}


def test_runs_too_short_for_clock_ticks_give_no_foreign_share():
    short = MIN_TIMED_S / 3 * 0.9  # three runs, together just short of the minimum
    summary = summary_of(job(0, 1, foreign_cpu_s=short, wall_s=short))
    assert summary["foreign_cpus"].isna().all()
    assert not summary["contended"].any(), "a window of a few ticks says nothing"


def test_jobs_that_overlap_on_one_host_are_contended_and_others_are_not():
    summary = summary_of(job(0, 1, start_s=0), job(1, 2, start_s=2), job(2, 4, start_s=10))
    assert flags(summary, "overlapped") == {1: True, 2: True, 4: False}
    assert flags(summary) == {1: True, 2: True, 4: False}
    apart = summary_of(job(0, 1, start_s=0, host="a"), job(1, 2, start_s=2, host="b"))
    assert not apart["overlapped"].any(), "two machines do not share CPUs"
    sweeps = summary_of(job(0, 1, start_s=0, sweep="x"), job(0, 2, start_s=2, sweep="y"))
    assert not sweeps["overlapped"].any(), "jobs of two sweeps are told apart by sweep_id"
    touching = summary_of(job(0, 1, start_s=0), job(1, 2, start_s=3))
    assert not touching["overlapped"].any(), "one ending as the next starts is no overlap"


def test_results_without_the_columns_are_not_contended():
    old = pd.DataFrame(job(0, 1)).drop(columns=["foreign_cpu_s", "ended_at"])
    summary = hpexp.summarize(old)
    assert summary["foreign_cpus"].isna().all()
    assert not summary["contended"].any()


def test_the_verdict_and_the_table_say_which_configuration_was_contended_and_why():
    summary = summary_of(
        job(0, 1, wall_s=2.0),
        job(1, 2, foreign_cpu_s=0.9, wall_s=1.0),
        job(2, 4, start_s=20.5, wall_s=1.1),
        job(3, 8, start_s=21.0, wall_s=1.2),
    )
    said = verdict(summary, CpuLimit(2))
    assert "Fastest: pool, 2 workers" in said
    assert "Its runs were disturbed (0.90 CPUs)" in said
    assert "pool, 4 workers (overlapped); pool, 8 workers (overlapped)." in said
    assert "pool, 1 worker (" not in said
    rows = pd.DataFrame([r for j in (job(0, 1), job(1, 2, foreign_cpu_s=0.9)) for r in j])
    table = format_summary(rows.assign(overrides="", repeat=0)).splitlines()
    assert table[0].split()[8:10] == ["foreign_cpus", "contended"]
    assert table[1].split()[8:10] == ["0.00", "-"]
    assert table[2].split()[8:11] == ["0.90", "0.90", "CPUs"]


def test_a_pool_job_beside_a_cpu_burner_is_marked_contended():
    # about 0.3 s a run on a quiet machine: the 3 runs add up to more than MIN_TIMED_S
    overrides = ["workload=pi", "workload.samples=5000000", "executor=pool", "workers=2"]
    with cpu_burner():
        rows = measure(*overrides, "repeats=3", "warmup=0")
    frame = to_frame(rows)
    assert (frame["status"] == "ok").all()
    assert frame["wall_s"].sum() >= MIN_TIMED_S
    (marked,) = hpexp.summarize(frame).to_dict("records")
    assert marked["foreign_cpus"] > CONTENDED_CPUS, "the burner's share of two CPUs"
    assert marked["contended"]
    assert "Its runs were disturbed (" in verdict(hpexp.summarize(frame), CpuLimit(2))
    assert (frame["usable_cpus"] >= 1).all()
    assert (frame["usable_cpus"] <= frame["cpu_count"]).all()
    assert (frame["load_avg_1m"] >= 0).all()
    assert (frame["ended_at"] > frame["started_at"]).all()


def test_quiet_wait_gives_up_at_its_bound_on_a_busy_machine_and_says_so(capsys):
    with cpu_burner():
        waited = wait_for_quiet(1.0, "job 7")
    assert 1.0 <= waited < 1.0 + 2 * LOOK_S
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("hpexp: job 7: other work uses ")
    assert err[0].endswith("waiting up to 1 s (quiet_wait_s) for the machine to be quiet")
    assert err[1].startswith("hpexp: warning: job 7: the machine stayed busy for 1 s")


def test_a_quiet_wait_is_recorded_with_the_rows():
    rows = measure("workload.samples=2000", "repeats=1", "quiet_wait_s=0.5")
    assert rows[0]["quiet_wait_s"] == 0.5
    assert 0 < rows[0]["quiet_waited_s"] < 0.5 + 2 * LOOK_S
    assert "quiet_waited_s" not in measure("workload.samples=2000", "repeats=1")[0]


def test_a_comparison_says_which_side_was_contended():
    quiet = pd.DataFrame(job(0, 2))
    busy = pd.DataFrame(job(0, 2, foreign_cpu_s=0.9))
    (row,) = hpexp.compare(quiet, busy).to_dict("records")
    assert (row["contended_a"], row["contended_b"]) == (False, True)
