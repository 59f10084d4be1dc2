"""Paired ratios, the CPU limit and the signs of a disturbed machine, on hand-made rows with
known answers."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import hpexp
from hpexp.analysis.paired import (
    coverage,
    is_wide,
    kept,
    median_interval,
    paired_over,
    range_coverage,
    round_medians,
    summarized_ratios,
)
from hpexp.analysis.stats import CpuLimit, cpu_limit_of
from hpexp.analysis.tables import format_summary, readable
from hpexp.analysis.verdict import verdict


def visits(executor, workers, per_round, repeats=3, **columns):
    """Rows of one configuration: per round, ``repeats`` runs at that round's wall time."""
    return [
        {
            "workload": "pi",
            "executor": executor,
            "workers": workers,
            "round": round_,
            "job": 100 * workers + round_,
            "sweep_id": "s",
            "wall_s": wall,
            "status": "ok",
            **columns,
        }
        for round_, wall in enumerate(per_round)
        for _ in range(repeats)
    ]


def frame(*groups):
    return pd.DataFrame([row for group in groups for row in group])


def test_coverage_is_the_binomial_probability_of_the_order_statistics():
    assert range_coverage(5) == 1 - 2 / 32
    assert [round(range_coverage(n), 4) for n in (2, 3, 4)] == [0.5, 0.75, 0.875]
    assert coverage(10, 2) == 1 - 2 * (1 + 10) / 1024
    assert coverage(10, 3) < 0.95 < coverage(10, 2)


def test_the_median_interval_is_the_narrowest_95_percent_pair_or_the_range():
    assert median_interval(np.array([5.0, 1.0, 3.0])) == (1.0, 5.0), "below 6: the range"
    assert median_interval(np.arange(1.0, 11.0)) == (2.0, 9.0), "n=10: X(2)..X(9) is 97.9%"
    assert median_interval(np.arange(1.0, 7.0)) == (1.0, 6.0), "n=6: only the range is 95%"
    assert all(math.isnan(v) for v in median_interval(np.array([2.0])))


def test_a_paired_speedup_cancels_a_machine_that_drifts_between_rounds():
    # round 1 ran on a machine twice as slow: pooled medians mix the rounds, pairs do not
    drifting = frame(
        visits("pool", 1, [1.0, 2.0, 1.0]),
        visits("pool", 2, [0.5, 1.0, 0.5]),
    )
    row = hpexp.summarize(drifting).set_index("workers").loc[2]
    assert (row["speedup"], row["speedup_low"], row["speedup_high"]) == (2.0, 2.0, 2.0)
    assert row["rounds"] == 3
    assert row["efficiency"] == 1.0
    skewed = drifting[~((drifting["workers"] == 1) & (drifting["round"] == 1))]
    unpaired = hpexp.summarize(skewed.assign(round=0)).set_index("workers").loc[2]
    assert unpaired["speedup"] == 2.0
    assert math.isnan(unpaired["speedup_low"])
    paired = hpexp.summarize(skewed).set_index("workers").loc[2]
    assert paired["speedup"] == 2.0, "round 1 has no baseline: only rounds 0 and 2 pair up"


def test_the_interval_is_the_spread_of_the_per_round_ratios():
    rows = frame(
        visits("pool", 1, [1.0, 1.0, 1.0, 1.0, 1.0]),
        visits("pool", 2, [0.5, 0.625, 0.5, 0.4, 0.5]),
        visits("serial", 1, [2.0, 2.0, 2.0, 2.0, 2.0]),
    )
    row = hpexp.summarize(rows).set_index(["executor", "workers"]).loc[("pool", 2)]
    assert (row["speedup"], row["speedup_low"], row["speedup_high"]) == (2.0, 1.6, 2.5)
    assert (row["speedup_vs_serial"], row["speedup_vs_serial_low"]) == (4.0, 3.2)
    shown = readable(hpexp.summarize(rows)).set_index(["executor", "workers"])
    assert shown.loc[("pool", "2"), "speedup"] == "2.00x [1.60, 2.50]"
    assert "speedup_low" not in shown.columns
    said = verdict(hpexp.summarize(rows), CpuLimit(2))
    assert "Best speedup: 2.00x [1.60, 2.50] over 5 rounds (94%, the range of the rounds)" in said
    assert "Its rounds disagree (1.60x to 2.50x)" in said


def test_compare_pairs_rounds_and_tests_them_as_the_samples():
    a = frame(visits("pool", 1, [1.0, 2.0, 1.0, 2.0]))
    b = frame(visits("pool", 1, [1.5, 3.0, 1.5, 3.1]))
    (row,) = hpexp.compare(a, b).to_dict("records")
    assert row["rounds"] == 4
    assert row["ratio"] == 1.5
    assert row["ratio_low"] == 1.5
    assert row["ratio_high"] == pytest.approx(1.55)
    assert row["p_value"] < 0.001
    assert row["verdict"] == "slower"
    (same,) = hpexp.compare(a, a.copy()).to_dict("records")
    assert (same["ratio"], same["p_value"], same["verdict"]) == (1.0, 1.0, "not significant")
    (doubled,) = hpexp.compare(a, a.assign(wall_s=a["wall_s"] / 2)).to_dict("records")
    assert (doubled["p_value"], doubled["verdict"]) == (0.0, "faster")
    (two,) = hpexp.compare(a[a["round"] < 2], b[b["round"] < 2]).to_dict("records")
    assert (two["rounds"], two["ratio"], two["ratio_low"], two["ratio_high"]) == (2, 1.5, 1.5, 1.5)
    (pooled,) = hpexp.compare(a.assign(round=0), b.assign(round=0)).to_dict("records")
    assert pooled["rounds"] == 1
    assert math.isnan(pooled["ratio_low"])


def test_compare_leaves_out_a_round_disturbed_on_either_side_and_says_which_side_it_was():
    steady = frame(visits("pool", 1, [1.0, 1.0, 1.0, 1.0], throttled_s=0.0))
    throttled = frame(visits("pool", 1, [1.5, 3.0, 1.5, 1.5], throttled_s=0.0))
    throttled.loc[throttled["round"] == 1, "throttled_s"] = 1.0  # a quota held round 1 back
    (b_disturbed,) = hpexp.compare(steady, throttled).to_dict("records")
    assert (b_disturbed["contended_a"], b_disturbed["contended_b"]) == (False, True)
    assert (b_disturbed["ratio"], b_disturbed["rounds"], b_disturbed["left_out_rounds"]) == (
        1.5,
        3,
        1,
    )
    (a_disturbed,) = hpexp.compare(throttled, steady).to_dict("records")
    assert (a_disturbed["contended_a"], a_disturbed["contended_b"]) == (True, False)
    assert (a_disturbed["rounds"], a_disturbed["left_out_rounds"]) == (3, 1)


def test_the_cpu_limit_is_the_quota_when_every_job_had_it():
    machine = {"cpu_count": 2, "usable_cpus": 2}
    assert cpu_limit_of(pd.DataFrame([machine])) == CpuLimit(2.0)
    quota = pd.DataFrame([machine | {"cpu_quota": 1.0}] * 2)
    assert cpu_limit_of(quota) == CpuLimit(1.0, "a cgroup quota")
    partly = pd.DataFrame([machine | {"cpu_quota": 1.0}, machine | {"cpu_quota": None}])
    assert cpu_limit_of(partly) == CpuLimit(2.0), "a quota switched on and off is no limit"
    wide = pd.DataFrame([machine | {"cpu_quota": 4.0}])
    assert cpu_limit_of(wide) == CpuLimit(2.0), "a quota above the CPUs limits nothing"
    pinned = pd.DataFrame([{"cpu_count": 8, "usable_cpus": 2}])
    assert cpu_limit_of(pinned) == CpuLimit(2.0, "the CPU affinity mask")
    assert cpu_limit_of(pd.DataFrame([{"cpu_count": 8}, {"cpu_count": math.nan}])).cpus == 8
    assert cpu_limit_of(pd.DataFrame({"wall_s": [1.0]})) == CpuLimit(1.0)


def test_a_quota_is_named_in_the_verdict_instead_of_concluding_processes_do_not_help():
    quota = {"cpu_quota": 1.0, "cpu_count": 2, "usable_cpus": 2}
    rows = frame(
        visits("pool", 1, [1.0], repeats=5, throttled_s=0.0, **quota),
        visits("pool", 2, [1.2], repeats=5, throttled_s=0.4, **quota),
    )
    said = verdict(hpexp.summarize(rows), cpu_limit_of(rows))
    assert "This machine allows 1 CPU: a cgroup quota." in said
    assert "more workers than the 1 CPU it is allowed add nothing" in said
    assert "pool, 2 workers (throttled 2.00 s)" in said
    table = format_summary(rows.assign(overrides="", repeat=0, sweep_id="s"))
    assert "throttled 2.00 s" in table
    assert "throttled_s" in table.splitlines()[0]


def test_a_little_throttling_is_not_contention():
    rows = frame(visits("pool", 1, [1.0], repeats=5, throttled_s=0.04))
    (row,) = hpexp.summarize(rows).to_dict("records")
    assert row["throttled_s"] == pytest.approx(0.2)
    assert not row["contended"], "4% of 5 s"


def test_a_slower_probe_marks_its_configuration_slowed():
    rows = frame(
        visits("pool", 1, [1.0, 1.0, 1.0], probe_s=0.010),
        visits("pool", 2, [0.5, 0.5, 0.5], probe_s=0.0125),
        visits("pool", 4, [0.25, 0.25, 0.25], probe_s=0.010),
    )
    summary = hpexp.summarize(rows).set_index("workers")
    assert summary.loc[1, "machine_speed"] == 1.0
    assert not summary.loc[1, "slowed"]
    assert summary.loc[2, "machine_speed"] == pytest.approx(0.8)
    assert summary.loc[2, "slowed"]
    assert summary.loc[2, "contended"]
    said = verdict(hpexp.summarize(rows), CpuLimit(4))
    assert "pool, 2 workers (slowed to 0.80)" in said
    assert "slowed to 0.80" in format_summary(rows.assign(overrides="", repeat=0))


def test_the_machine_speed_takes_each_visits_probe_once():
    one_slow_visit = frame(
        visits("pool", 1, [1.0], repeats=9, probe_s=0.01),
        [
            {**row, "job": 7, "round": 1, "probe_s": 0.02}
            for row in visits("pool", 1, [1.0], repeats=1)
        ],
        [
            {**row, "job": 8, "round": 2, "probe_s": 0.01}
            for row in visits("pool", 1, [1.0], repeats=1)
        ],
    )
    (row,) = hpexp.summarize(one_slow_visit).to_dict("records")
    assert row["machine_speed"] == 1.0, "the median of 3 visits, not of 11 rows"


def test_a_round_whose_visit_was_disturbed_is_left_out_while_two_clean_ones_remain():
    quiet = {"foreign_cpu_s": 0.0}
    rows = frame(
        visits("pool", 1, [1.0, 1.0, 1.0, 1.0], **quiet),
        visits("pool", 2, [0.5, 0.5, 0.5, 0.5], **quiet),
    )
    burst = (rows["workers"] == 2) & (rows["round"] == 1)
    rows.loc[burst, ["wall_s", "foreign_cpu_s"]] = [1.0, 0.9]  # a tenant took one CPU
    row = hpexp.summarize(rows).set_index("workers").loc[2]
    assert (row["speedup"], row["left_out_rounds"], row["rounds"]) == (2.0, 1, 4)
    assert row["contended"], "the configuration still says it was disturbed"
    said = verdict(hpexp.summarize(rows), CpuLimit(2))
    assert "over 3 rounds (75%, the range of the rounds; 1 disturbed round left out)" in said
    rows.loc[(rows["workers"] == 2) & (rows["round"] >= 1), "foreign_cpu_s"] = 0.9
    mostly = hpexp.summarize(rows).set_index("workers").loc[2]
    assert mostly["left_out_rounds"] == 0, "one clean round is too few: every round counts"
    compared = hpexp.compare(rows, rows.assign(wall_s=rows["wall_s"] * 1.5)).set_index("workers")
    assert list(compared["left_out_rounds"]) == [0, 0]
    assert list(compared["ratio"]) == [1.5, 1.5]


def test_serial_gets_no_speedup_from_more_workers_it_does_not_use():
    rows = frame(
        visits("serial", 1, [1.0]),
        visits("serial", 2, [0.85]),
        visits("pool", 1, [1.0]),
        visits("pool", 2, [0.5]),
    )
    summary = hpexp.summarize(rows).set_index(["executor", "workers"])
    assert summary.loc[("serial", 1), "speedup"] == 1.0
    assert math.isnan(summary.loc[("serial", 2), "speedup"])
    assert math.isnan(summary.loc[("serial", 2), "speedup_vs_serial"])
    said = verdict(hpexp.summarize(rows), CpuLimit(2))
    assert "Best speedup: 2.00x at 2 workers (pool)" in said


def test_a_configuration_with_fewer_than_three_visits_is_not_judged_by_its_probe():
    rows = frame(
        visits("pool", 1, [1.0, 1.0], probe_s=0.010),
        visits("pool", 2, [0.5, 0.5], probe_s=0.02),
    )
    summary = hpexp.summarize(rows)
    assert summary["machine_speed"].isna().all()
    assert not summary["slowed"].any()


def narrowest_95_percent_k(n: int) -> int:
    """The largest k whose interval [X(k), X(n+1-k)] still covers the median with 95%."""
    return max(k for k in range(1, n // 2 + 1) if coverage(n, k) >= 0.95)


@pytest.mark.parametrize("n", [2, 3, 9, 12, 40, 100])
def test_the_median_interval_at_every_size_is_the_narrowest_95_percent_one(n):
    values = np.arange(n, 0, -1.0)  # unsorted, n..1
    k = narrowest_95_percent_k(n) if range_coverage(n) >= 0.95 else 1
    assert median_interval(values) == (float(k), float(n + 1 - k))
    assert all(math.isnan(v) for v in median_interval(np.array([])))


@pytest.mark.parametrize(
    ("median", "low", "high", "wide"),
    [
        (10.0, 9.0, 11.0, False),  # exactly 20% is not wide
        (10.0, 8.0, 11.0, True),
        (1.0, 0.95, 1.05, False),
        (0.5, 0.3, 0.6, True),  # a median below 1 is judged by its share too
        (0.0, 0.0, 1.0, False),  # no median to be wide of
        (1.0, math.nan, math.nan, False),  # no interval
    ],
)
def test_an_interval_is_wide_above_a_fifth_of_its_median(median, low, high, wide):
    assert is_wide(median, low, high) is wide


def test_round_medians_put_rows_without_a_round_in_round_0_sorted_by_configuration():
    rows = frame(visits("threads", 2, [0.6]), visits("pool", 1, [1.0, 1.1]))
    rows["executor"] = pd.Categorical(rows["executor"], ["pool", "threads", "unused"])
    rows.loc[rows["executor"] == "threads", "round"] = math.nan  # a file from before rounds
    medians = round_medians(rows, ["executor", "workers"])
    assert list(zip(medians["executor"], medians["round"], medians["median_s"], strict=True)) == [
        ("pool", 0, 1.0),
        ("pool", 1, 1.1),
        ("threads", 0, 0.6),
    ]
    assert not medians["disturbed"].any()
    no_rounds = round_medians(rows.drop(columns="round"), ["executor", "workers"])
    assert set(no_rounds["round"]) == {0}
    empty = round_medians(rows.iloc[:0], ["executor", "workers"])
    assert empty.empty
    assert empty["disturbed"].dtype == bool


def test_two_clean_rounds_are_enough_to_leave_the_disturbed_ones_out():
    ratios = np.array([2.0, 1.0, 2.0, np.nan])
    assert kept(ratios, np.array([False, True, False, False]))[1] == 1
    assert list(kept(ratios, np.array([False, True, False, False]))[0]) == [2.0, 2.0]
    assert list(kept(ratios, np.array([False, True, True, False]))[0]) == [2.0, 1.0, 2.0]


def test_summarized_ratios_of_no_known_round_are_empty_without_a_warning():
    ratios = pd.DataFrame(
        {
            "executor": pd.Categorical(["threads", "pool", "pool"], ["pool", "threads", "x"]),
            "ratio": [np.nan, 2.0, 1.5],
            "disturbed": [False, False, False],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = summarized_ratios(ratios, ["executor"], "speedup")
    assert list(summary.index) == ["pool", "threads"], "observed configurations, in order"
    assert summary.loc["pool", "speedup"] == 1.75
    assert math.isnan(summary.loc["threads", "speedup"])
    assert summary.loc["threads", "paired_rounds"] == 0


def test_a_ratio_pairs_its_own_round_and_takes_its_baselines_disturbance():
    def medians(workers, per_round, disturbed, tag=math.nan):
        return pd.DataFrame(
            {
                "workers": workers,
                "tag": tag,
                "round": range(len(per_round)),
                "median_s": per_round,
                "disturbed": disturbed,
            }
        )

    base = medians(1, [1.0, 2.0], [False, True], tag=math.nan)
    mine = medians(2, [0.5, 1.0, 0.4], [False, False, False], tag=math.nan)
    paired = paired_over(mine, base, ["tag"])
    assert list(paired["ratio"][:2]) == [2.0, 2.0]
    assert math.isnan(paired["ratio"][2]), "no baseline in round 2: kept, with no ratio"
    assert list(paired["disturbed"]) == [False, True, False]
