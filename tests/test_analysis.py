"""Statistics and comparisons on hand-made results with known answers."""

import math

import numpy as np
import pandas as pd
import pytest

import hpexp
from hpexp.analysis.stats import COMPARISON, CpuLimit, median_ci, smallest_p_value
from hpexp.analysis.tables import format_summary
from hpexp.results.store import empty_frame


def runs(executor, workers, walls, workload="pi", status="ok", **params):
    """Rows shaped like hpexp's results, one per wall time."""
    return [
        {
            "workload": workload,
            "executor": executor,
            "workers": workers,
            "wall_s": wall,
            "status": status,
            **params,
        }
        for wall in walls
    ]


def frame(*groups):
    return pd.DataFrame([row for group in groups for row in group])


def row(summary, **where):
    mask = np.logical_and.reduce([summary[k] == v for k, v in where.items()])
    (index,) = np.flatnonzero(mask)
    return summary.iloc[index]


@pytest.fixture
def sweep():
    return frame(
        runs("serial", 1, [11.9, 12.0, 12.1]),
        runs("pool", 1, [4.0, 5.0, 6.0, 7.0, 8.0]),
        runs("pool", 2, [3.0, 3.0, 3.1, 2.9, 3.0]),
        runs("pool", 2, [math.nan], status="error"),
        runs("pool", 4, [math.nan], status="error"),
    )


def test_summary_statistics_have_the_exact_known_values(sweep):
    summary = hpexp.summarize(sweep)
    assert len(summary) == 4
    one = row(summary, executor="pool", workers=1)
    assert one["n"] == 5
    assert one["errors"] == 0
    assert one["median_s"] == 6.0
    assert one["mean_s"] == 6.0
    assert one["std_s"] == pytest.approx(math.sqrt(2.5))
    assert (one["min_s"], one["max_s"]) == (4.0, 8.0)
    assert one["iqr_s"] == 2.0
    assert one["cv"] == pytest.approx(math.sqrt(2.5) / 6)


def test_speedups_and_efficiency(sweep):
    summary = hpexp.summarize(sweep)
    two = row(summary, executor="pool", workers=2)
    assert two["speedup"] == pytest.approx(2.0)
    assert two["efficiency"] == pytest.approx(1.0)
    assert two["speedup_vs_serial"] == pytest.approx(4.0)
    assert row(summary, executor="pool", workers=1)["speedup_vs_serial"] == pytest.approx(2.0)
    assert row(summary, executor="serial", workers=1)["speedup"] == 1.0


def test_error_rows_are_counted_but_not_measured(sweep):
    summary = hpexp.summarize(sweep)
    two = row(summary, executor="pool", workers=2)
    assert (two["n"], two["errors"], two["median_s"]) == (5, 1, 3.0)
    failed = row(summary, executor="pool", workers=4)
    assert (failed["n"], failed["errors"]) == (0, 1)
    assert math.isnan(failed["median_s"])
    assert math.isnan(failed["speedup"])
    assert failed["unreliable"]


def test_a_frame_with_no_ok_row_still_summarizes():
    failed = frame(runs("serial", 1, [math.nan, math.nan], status="error"))
    (only,) = hpexp.summarize(failed).itertuples()
    assert (only.n, only.errors) == (0, 2)
    assert math.isnan(only.median_s)


def test_unreliable_flag_follows_the_spread(sweep):
    summary = hpexp.summarize(sweep)
    assert row(summary, executor="pool", workers=1)["unreliable"]  # cv 26%
    assert not row(summary, executor="pool", workers=2)["unreliable"]  # cv 2%
    assert not row(summary, executor="serial", workers=1)["unreliable"]
    single = hpexp.summarize(frame(runs("pool", 1, [1.0])))
    assert single["unreliable"].item(), "one run says nothing about its spread"


def test_median_ci_is_the_order_statistics_interval():
    assert median_ci(np.arange(1.0, 11.0)) == (2.0, 9.0)
    assert all(math.isnan(v) for v in median_ci(np.arange(1.0, 6.0))), "no 95% CI from 5 runs"


def test_median_ci_contains_the_true_median():
    rng = np.random.default_rng(7)
    walls = rng.exponential(1.0, 201)  # true median: ln 2
    summary = hpexp.summarize(frame(runs("pool", 1, walls)))
    low, high = summary[["ci_low_s", "ci_high_s"]].iloc[0]
    assert low < math.log(2) < high
    assert high - low < 0.5


def test_varied_parameters_split_configurations_and_derived_ones_do_not():
    def group(impl, workers, walls):
        return runs(
            "pool",
            workers,
            walls,
            **{
                "workload.impl": impl,
                "workload.chunks": workers,  # null in the YAML: one chunk per worker
                "executor.max_workers": workers,
                "overrides": f"executor=pool,workers={workers},workload.impl={impl}",
            },
        )

    df = frame(
        group("python", 1, [8.0, 8.0]),
        group("python", 2, [4.0, 4.0]),
        group("numpy", 1, [1.0, 1.0]),
        group("numpy", 2, [0.8, 0.8]),
    )
    summary = hpexp.summarize(df)
    assert list(summary.columns[:4]) == ["workload", "executor", "workers", "workload.impl"]
    assert row(summary, workers=2, **{"workload.impl": "python"})["speedup"] == 2.0
    assert row(summary, workers=2, **{"workload.impl": "numpy"})["speedup"] == 1.25
    # a value derived from workers for one impl and constant for another (an impl that runs
    # one task) follows from what the user set all the same: no configuration of its own
    one_task = group("cython_prange", 2, [0.5, 0.5])
    for r in one_task:
        r["workload.chunks"] = 1
    summary = hpexp.summarize(frame(*(df.to_dict("records"),), one_task))
    assert "workload.chunks" not in summary.columns
    assert row(summary, workers=2, **{"workload.impl": "python"})["speedup"] == 2.0


def test_by_adds_a_grouping_column_even_when_constant(sweep):
    summary = hpexp.summarize(sweep.assign(python_version="3.11.7"), by=["python_version"])
    assert "python_version" in summary.columns
    assert row(summary, executor="pool", workers=2)["speedup"] == pytest.approx(2.0)


def test_empty_results_give_an_empty_summary():
    assert hpexp.summarize(empty_frame()).empty


def test_printed_job_table_uses_the_summary():
    df = frame(
        runs("pool", 1, [2.0, 2.0, 2.2], job=0, sweep_id="s", overrides="workers=1"),
        runs("pool", 2, [1.0, 1.0, 1.0], job=1, sweep_id="s", overrides="workers=2"),
    )
    lines = format_summary(df).splitlines()
    assert lines[0].split()[:5] == ["job", "workload", "executor", "workers", "n"]
    assert lines[2].split()[:6] == ["1", "pi", "pool", "2", "3", "1.000"]
    assert "2.00x" in lines[2]


def timings(scale, seed, n=8):
    rng = np.random.default_rng(seed)
    return frame(*(runs("pool", w, scale * (1 / w) * rng.lognormal(0, 0.03, n)) for w in (1, 2, 4)))


def test_compare_detects_a_planted_twofold_slowdown():
    base, slow = timings(1.0, seed=1), timings(2.0, seed=2)
    result = hpexp.compare(base, slow)
    assert len(result) == 3
    assert (result["verdict"] == "slower").all()
    assert result["ratio"].to_numpy() == pytest.approx([2.0] * 3, rel=0.1)
    assert (result["p_value"] < 0.01).all()
    assert (hpexp.compare(slow, base)["verdict"] == "faster").all()


def test_the_smallest_p_value_is_2_of_the_orderings_of_the_runs():
    assert smallest_p_value(3, 3) == 2 / 20, "3 against 3 can never show a change at 0.05"
    assert smallest_p_value(5, 4) == 2 / 126
    assert smallest_p_value(1, 1) == 1.0


def test_compare_does_not_flag_identical_data():
    base = timings(1.0, seed=1)
    result = hpexp.compare(base, base.copy())
    assert (result["verdict"] == "not significant").all()
    assert (result["ratio"] == 1.0).all()


def test_compare_matches_what_each_side_varied_not_what_tells_them_apart():
    fork = timings(1.0, seed=1).assign(**{"executor.start_method": "fork"})
    spawn = timings(1.0, seed=1).assign(**{"executor.start_method": "spawn"})
    assert list(hpexp.compare(fork, spawn)["workers"]) == [1, 2, 4]
    assert hpexp.compare(fork, timings(1.0, seed=1).assign(workload="other")).empty


def test_a_parameter_only_some_executors_have_still_matches_its_baselines():
    def pool(method, workers, walls):
        overrides = f"executor.start_method={method},workers={workers}"
        return runs(
            "pool", workers, walls, **{"executor.start_method": method}, overrides=overrides
        )

    df = frame(
        pool("fork", 1, [4.0, 4.0]),
        pool("fork", 2, [2.0, 2.0]),
        pool("spawn", 1, [5.0, 5.0]),
        pool("spawn", 2, [4.0, 4.0]),
        runs("serial", 1, [8.0, 8.0], overrides="executor=serial"),
    )
    summary = hpexp.summarize(df)
    spawn = row(summary, workers=2, **{"executor.start_method": "spawn"})
    assert (spawn["speedup"], spawn["speedup_vs_serial"]) == (1.25, 2.0)
    assert row(summary, executor="serial")["speedup"] == 1.0
    assert len(hpexp.compare(df, df)) == 5


def test_two_close_runs_are_reliable_and_counts_are_integers():
    summary = hpexp.summarize(frame(runs("pool", 1, [1.00, 1.01])))
    assert not summary["unreliable"].item(), "n=2 with cv 0.7% is enough to trust"
    assert summary["errors"].dtype == "int64"
    assert summary["n"].dtype == "int64"


def test_a_frame_without_status_counts_every_row_as_measured():
    summary = hpexp.summarize(frame(runs("pool", 1, [1.0, 2.0, 3.0])).drop(columns="status"))
    assert (summary["n"].item(), summary["errors"].item()) == (3, 0)


def test_categorical_identity_makes_no_rows_for_combinations_never_run(tmp_path):
    df = frame(runs("serial", 1, [2.0, 2.0]), runs("pool", 2, [1.0, 1.0], workload="crawl"))
    for column in ("workload", "executor"):
        df[column] = df[column].astype("category")
    summary = hpexp.summarize(df)
    assert sorted(zip(summary["workload"], summary["executor"], strict=True)) == [
        ("crawl", "pool"),
        ("pi", "serial"),
    ]
    assert len(hpexp.compare(df, df)) == 2


def test_compare_names_its_columns_and_counts_each_side():
    a = frame(runs("pool", 1, [1.0, 2.0, 3.0]))
    b = frame(runs("pool", 1, [2.0, 4.0, 6.0, 8.0]))
    (row,) = hpexp.compare(a, b).to_dict("records")
    assert list(row) == ["workload", "executor", "workers", *COMPARISON]
    assert (row["n_a"], row["n_b"], row["median_a_s"], row["median_b_s"]) == (3, 4, 2.0, 5.0)
    assert row["ratio"] == 2.5
    nothing = hpexp.compare(a, frame(runs("serial", 1, [1.0])))
    assert nothing.empty
    assert list(nothing.columns) == ["workload", "executor", "workers", *COMPARISON]


def test_the_verdict_names_the_fastest_its_spread_and_where_scaling_stops():
    from hpexp.analysis.verdict import verdict

    results = frame(
        runs("pool", 1, [2.0, 2.1, 1.9]),
        runs("pool", 2, [1.0, 1.05, 0.95]),
        runs("pool", 4, [1.1, 1.0, 1.2]),
        runs("serial", 1, [2.0, 2.0, 2.0]),
    )
    said = verdict(hpexp.summarize(results), CpuLimit(2))
    assert said == (
        "Fastest: pool, 2 workers, median 1.000 s (3 runs, 0.950-1.050 s). "
        "Best speedup: 2.00x at 2 workers (pool); efficiency falls below 0.8 from 4 workers; "
        "more workers than this machine's 2 CPUs add nothing."
    )
    io_bound = frame(runs("asyncio", 1, [8.0] * 6), runs("asyncio", 16, [0.5] * 5 + [0.6]))
    said = verdict(hpexp.summarize(io_bound), CpuLimit(2))
    assert said.startswith("Fastest: asyncio, 16 workers, median 0.500 s (95% interval ")
    assert said.endswith("past this machine's 2 CPUs: the work waits, it does not compute.")
    noisy = frame(runs("serial", 1, [1.0, 2.0]))
    assert "repeat on a quieter machine" in verdict(hpexp.summarize(noisy), CpuLimit(2))
    assert verdict(
        hpexp.summarize(frame(runs("serial", 1, [math.nan], status="error"))), CpuLimit(2)
    ) == ("No configuration has an ok run.")


def test_the_verdict_crowns_a_fastest_at_each_problem_size_not_across_them():
    """crawl_sweep_quick's verdict used to name its shortest delay as the fastest
    configuration: a shorter delay is less work, not a faster way to do the same work."""
    from hpexp.analysis.verdict import by_workload

    problem = {"problem": "workload.requests,workload.delay_ms", "workload.requests": 20}
    results = frame(
        runs("threads", 1, [2.0] * 3, workload="crawl", **problem, **{"workload.delay_ms": 100}),
        runs("threads", 4, [0.5] * 3, workload="crawl", **problem, **{"workload.delay_ms": 100}),
        runs("asyncio", 4, [0.6] * 3, workload="crawl", **problem, **{"workload.delay_ms": 100}),
        runs("threads", 1, [0.4] * 3, workload="crawl", **problem, **{"workload.delay_ms": 20}),
        runs("asyncio", 4, [0.12] * 3, workload="crawl", **problem, **{"workload.delay_ms": 20}),
    )
    (part,) = by_workload(results)
    first, second = part.verdict.split(" At ")
    assert first.startswith("At workload.delay_ms=20: Fastest: asyncio, 4 workers, median 0.120 s")
    assert second.startswith("workload.delay_ms=100: Fastest: threads, 4 workers, median 0.500 s")
    assert "speedup: 4.00x at 4 workers (threads" in second


def test_the_verdict_names_the_configurations_tied_with_the_fastest():
    from hpexp.analysis.verdict import verdict

    tied = frame(
        runs("pool", 2, [1.00, 1.02, 0.98, 1.01, 0.99, 1.03]),
        runs("threads", 2, [1.01, 1.03, 0.99, 1.02, 1.00, 1.04]),
        runs("serial", 1, [2.0, 2.1, 1.9, 2.0, 2.05, 1.95]),
    )
    said = verdict(hpexp.summarize(tied), CpuLimit(2))
    assert "Tied with it within their 95% intervals: threads, 2 workers." in said
    assert "serial" not in said.split("Tied with it")[1].split(".")[0]
    apart = frame(runs("pool", 2, [1.0] * 6), runs("serial", 1, [2.0] * 6))
    assert "Tied" not in verdict(hpexp.summarize(apart), CpuLimit(2))


def test_tables_show_what_varies_and_no_empty_interval_column():
    from hpexp.analysis.tables import overrides_that_vary, readable, split_overrides

    assert split_overrides("workload.numbers=[3,5],workers=2,+experiment=x") == [
        "workload.numbers=[3,5]",
        "workers=2",
        "+experiment=x",
    ]
    jobs = pd.Series(["+experiment=x,workers=1", "+experiment=x,workers=2,workload.impl=numba"])
    assert overrides_that_vary(jobs).tolist() == ["workers=1", "workers=2,workload.impl=numba"]
    assert overrides_that_vary(jobs[:1]).tolist() == ["+experiment=x,workers=1"], "a lone job"
    few = hpexp.summarize(frame(runs("serial", 1, [1.0, 1.1, 1.2])))
    assert "ci95_s" not in readable(few).columns, "no interval below 6 runs: no column"
    enough = hpexp.summarize(frame(runs("serial", 1, [1.0, 1.1, 1.2, 1.0, 1.1, 1.2])))
    assert readable(enough)["ci95_s"].tolist() == ["[1.000, 1.200]"]
    counts = pd.DataFrame({"workload.samples": [2000000.0, math.nan], "median_s": [1.0, 2.0]})
    assert readable(counts)["workload.samples"].tolist() == ["2000000", "-"]


def test_a_noisy_best_beyond_the_cpus_is_not_called_scaling():
    from hpexp.analysis.verdict import verdict

    results = frame(
        runs("pool", 1, [2.2, 2.2, 2.2]),
        runs("pool", 2, [1.12, 1.13, 1.12]),
        runs("pool", 4, [1.05, 1.05, 1.05]),
        runs("pool", 8, [1.07, 1.07, 1.07]),
    )
    said = verdict(hpexp.summarize(results), CpuLimit(2))
    assert said.endswith(
        "Best speedup: 2.10x at 4 workers (pool), 1.96x already at 2; efficiency falls below 0.8 "
        "from 4 workers; more workers than this machine's 2 CPUs add nothing."
    )


def test_serial_scales_only_where_the_kernel_ran_on_threads_of_its_own(tmp_path):
    """On serial, more workers are no concurrency, except for a kernel whose workers are its own
    threads (``kernel_threads``): then it gets a speedup, a curve and an ideal line."""
    from hpexp.analysis.plots import _scaled, time_vs_workers

    impl = "workload.impl"
    df = frame(
        runs("serial", 1, [4.0, 4.0], **{impl: "cython", "kernel_threads": 1}),
        runs("serial", 2, [4.0, 4.0], **{impl: "cython", "kernel_threads": 1}),
        runs("serial", 1, [4.0, 4.0], **{impl: "cython_prange", "kernel_threads": 1}),
        runs("serial", 2, [2.5, 2.5], **{impl: "cython_prange", "kernel_threads": 2}),
    )
    summary = hpexp.summarize(df)
    assert row(summary, **{impl: "cython_prange", "workers": 2})["speedup"] == 1.6
    assert math.isnan(row(summary, **{impl: "cython", "workers": 2})["speedup"])
    assert set(_scaled(summary, "pi")[impl]) == {"cython_prange"}
    (axes,) = time_vs_workers(summary, "pi").axes
    dashed = [line for line in axes.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1, "an ideal line for the threaded kernel only"


def test_a_curve_keeps_its_colour_from_panel_to_panel_and_one_legend_names_it_once():
    from hpexp.analysis.plots import scaling_per_impl

    impl = "workload.impl"
    df = frame(
        *(
            runs(executor, workers, [4.0 / workers**0.5] * 2, **{impl: name})
            for executor, names in (("threads", ("cython", "numba")), ("pool", ("numba",)))
            for name in names
            for workers in (1, 2)
        )
    )
    figure = scaling_per_impl(hpexp.summarize(df), "pi", CpuLimit(2))
    colours = {
        axes.get_title(): {line.get_label(): line.get_color() for line in axes.get_lines()}
        for axes in figure.axes
    }
    assert colours["pool"]["impl numba"] == colours["threads"]["impl numba"]
    assert colours["threads"]["impl cython"] != colours["threads"]["impl numba"]
    first, last = (axes.get_legend() for axes in figure.axes)
    assert first is None, "one legend, beside the last panel"
    assert [t.get_text() for t in last.get_texts()] == ["impl cython", "impl numba", "ideal"]
