"""Reports: the automatic one after a real sweep, the report command, plots and comparisons."""

import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hpexp
from hpexp.analysis.plots import (
    figures_of,
    impl_speedups,
    scaling_per_impl,
    speedup_over_python,
    speedup_vs_workers,
    time_and_memory_per_share,
    time_vs_concurrency_per_delay,
    time_vs_workers,
    write_plots,
)
from hpexp.analysis.stats import CpuLimit
from hpexp.analysis.verdict import by_workload
from hpexp.api.sweep_report import write_sweep_report
from hpexp.results.store import to_frame, write_atomic
from hpexp.workloads.primes import is_prime
from tests.conftest import measure, run_cli

TINY = ["workload=pi", "workload.samples=20000", "repeats=3", "warmup=0"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_report(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "hpexp.report", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def assert_valid_report(report_dir, expected_pngs):
    pngs = sorted(p.name for p in report_dir.glob("*.png"))
    assert pngs == sorted(expected_pngs)
    for name in pngs:
        data = (report_dir / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE), name
        assert len(data) > 5_000, f"{name} is too small to hold a plot"
    page = (report_dir / "index.html").read_text()
    assert sorted(re.findall(r'<img src="([^"]+)"', page)) == pngs
    assert "<table" in page


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("sweep")
    result = run_cli("executor=serial,threads", "workers=1,2", *TINY, "-m", cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    (directory,) = (cwd / "results" / "sweeps").glob("*/*")
    return directory


def test_a_sweep_writes_its_report_automatically(sweep_dir):
    assert_valid_report(sweep_dir / "report", ["speedup_pi.png", "time_pi.png"])
    assert len(hpexp.load_results(sweep_dir)) == 12, "the report adds no rows"


def test_report_command_prints_the_table_and_writes_the_plots(sweep_dir, tmp_path):
    result = run_report(str(sweep_dir), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    *lines, said = result.stdout.strip().splitlines()
    assert lines[0].split()[:5] == ["workload", "executor", "workers", "n", "errors"]
    assert len(lines) == 5
    assert said.startswith("hpexp: pi: Fastest: ")
    assert_valid_report(tmp_path / "out", ["speedup_pi.png", "time_pi.png"])


def test_compare_command_does_not_flag_a_sweep_against_itself(sweep_dir, tmp_path):
    result = run_report(
        "--compare", str(sweep_dir), str(sweep_dir), "--out", str(tmp_path), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 5, "a header and 4 configurations"
    verdicts = pd.read_csv(tmp_path / "comparison.csv")["verdict"]
    assert (verdicts == "too few runs").all(), "3 runs a side can never decide"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing"], "hpexp: invalid value for 'PATH': 'missing'"),
        ([], "hpexp: give either PATH or --compare A B"),
        (["--compare", "missing", "other"], "hpexp: invalid value for 'PATH': 'missing'"),
        (
            ["--compare", "a", "b", "--fail-slower", "5x"],
            "hpexp: invalid value for '--fail-slower': '5x' (allowed: a percentage > 0",
        ),
        (
            ["a", "--fail-slower", "5%"],
            "hpexp: --fail-slower and --only-changed apply to --compare",
        ),
        (["a", "--only-changed"], "hpexp: --fail-slower and --only-changed apply to --compare"),
    ],
)
def test_report_command_bad_input_is_one_line(tmp_path, args, message):
    result = run_report(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_report_can_be_switched_off(tmp_path):
    result = run_cli("executor=serial", "workers=1,2", *TINY, "report=false", "-m", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (directory,) = (tmp_path / "results" / "sweeps").glob("*/*")
    assert (directory / "sweep.parquet").is_file()
    assert not (directory / "report").exists()


def test_a_failing_report_warns_and_keeps_the_results(sweep_dir, tmp_path, capsys):
    broken = tmp_path / "sweep"
    broken.mkdir()
    (broken / "report").write_text("a file where the report dir would go")
    frame = hpexp.load_results(sweep_dir)
    write_sweep_report(frame, by_workload(frame), broken)
    assert "hpexp: warning: no report for" in capsys.readouterr().err
    assert (broken / "report").read_text().startswith("a file")


def crawl_rows(executors=("asyncio",), delays=(10, 100, 1000), requests=100):
    """Hand-made crawl results: time = requests * delay / concurrency, plus a little noise."""
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "workload": "crawl",
            "executor": executor,
            "workers": workers,
            "wall_s": requests * delay / 1000 / workers * rng.lognormal(0, 0.02),
            "status": "ok",
            "workload.delay_ms": delay,
            "workload.requests": requests,
            "cpu_count": 2,
        }
        for executor in executors
        for delay in delays
        for workers in (1, 10, 100)
        for _ in range(3)
    )


def test_crawl_figure_has_one_curve_per_delay_and_a_log_time_axis():
    figure = time_vs_concurrency_per_delay(crawl_rows(executors=("asyncio", "gevent")), "crawl")
    panels = [axes for axes in figure.axes if axes.get_title()]
    assert [axes.get_title() for axes in panels] == ["asyncio", "gevent"]
    for axes in panels:
        labels = [line.get_label() for line in axes.get_lines()]
        assert labels == ["delay 10 ms", "delay 100 ms", "delay 1000 ms"]
        assert axes.get_yscale() == "log"
        slowest = axes.get_lines()[-1]
        assert list(slowest.get_xdata()) == [1, 10, 100]
        assert slowest.get_ydata()[0] == pytest.approx(100.0, rel=0.1)


def test_crawl_figure_is_written_even_for_a_single_delay(tmp_path):
    df = crawl_rows(delays=(50,))
    paths = write_plots(df, hpexp.summarize(df), tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["crawl_time_vs_concurrency.png", "speedup_crawl.png", "time_crawl.png"]
    assert all(p.read_bytes().startswith(PNG_SIGNATURE) for p in paths)


def test_any_workload_with_a_delay_and_requests_gets_the_concurrency_figure(tmp_path):
    df = crawl_rows(delays=(50,)).assign(workload="my_crawler")
    names = sorted(p.name for p in write_plots(df, hpexp.summarize(df), tmp_path))
    assert "my_crawler_time_vs_concurrency.png" in names
    without = df.drop(columns=["workload.requests"])
    names = sorted(p.name for p in write_plots(without, hpexp.summarize(without), tmp_path))
    assert not [name for name in names if "concurrency" in name], "no requests, no such figure"


def test_time_and_speedup_figures_draw_the_summary():
    df = pd.DataFrame(
        {"workload": "pi", "executor": executor, "workers": workers, "wall_s": wall,
         "status": "ok", "cpu_count": 2}
        for executor, scale in (("pool", 1.0), ("threads", 2.0))
        for workers, base in ((1, 4.0), (2, 2.0), (4, 1.5))
        for wall in (base * scale * 0.99, base * scale, base * scale * 1.01)
    )  # fmt: skip
    summary = hpexp.summarize(df)
    time_axes = time_vs_workers(summary, "pi").axes[0]
    curves = {line.get_label(): line for line in time_axes.get_lines()}
    assert {"pool", "threads"} <= set(curves)
    assert list(curves["pool"].get_xdata()) == [1, 2, 4]
    assert list(curves["pool"].get_ydata()) == pytest.approx([4.0, 2.0, 1.5])
    assert list(curves["threads"].get_ydata()) == pytest.approx([8.0, 4.0, 3.0])
    speedup_axes = speedup_vs_workers(summary, "pi", CpuLimit(2)).axes[0]
    lines = {line.get_label(): line for line in speedup_axes.get_lines()}
    assert list(lines["pool"].get_ydata()) == pytest.approx([1.0, 2.0, 4.0 / 1.5])
    assert "2 CPUs" in lines, "the machine's CPU count is marked"


def test_shared_array_figure_shows_time_and_memory_per_share(tmp_path):
    size = ["workload=shared_array", "workload.size=200000", "executor=pool", "workers=2"]
    rows = [
        row
        for share in ("pickle", "shared_memory")
        for row in measure(*size, f"workload.share={share}", "repeats=3", "warmup=0")
    ]
    frame = pd.DataFrame(rows).assign(workload="shared_array")  # as the CLI names the rows
    figure = time_and_memory_per_share(frame, "shared_array")
    time_axes, memory_axes = figure.axes
    medians = frame.groupby("workload.share")[["wall_s", "max_rss_mb"]].median()
    assert [t.get_text() for t in time_axes.get_xticklabels()] == ["pickle", "shared_memory"]
    assert [bar.get_height() for bar in time_axes.patches] == list(medians["wall_s"])
    assert [bar.get_height() for bar in memory_axes.patches] == list(medians["max_rss_mb"])
    paths = write_plots(frame, hpexp.summarize(frame), tmp_path)
    assert tmp_path / "shared_array_time_and_memory.png" in paths


#: five routes, the figures' shape for any number: fewer jobs than every route would take
IMPLS = ("python", "numpy", "numba", "cython", "ctypes")


def test_kernel_figures_show_speedup_over_python_and_scaling_per_impl(tmp_path):
    grid = ["workload=julia", "workload.width=60", "workload.max_iterations=40", "repeats=2"]
    rows = []
    # two executors give two panels; serial, not a pool, spares starting 10 pools of workers
    for executor, workers, impl in itertools.product(("threads", "serial"), (1, 2), IMPLS):
        cell = [f"executor={executor}", f"workers={workers}", f"workload.impl={impl}"]
        job = measure(*grid, *cell)
        rows += [{**row, "executor": executor} for row in job]
    frame = pd.DataFrame(rows).assign(workload="julia")
    summary = hpexp.summarize(frame)
    bars = speedup_over_python(summary, "julia")
    (axes,) = bars.axes
    in_order = ["python", "ctypes", "cython", "numba", "numpy"]
    assert [t.get_text() for t in axes.get_xticklabels()] == in_order
    medians = summary.set_index(["executor", "workers", "workload.impl"])["median_s"]
    expected = [
        medians[executor, workers, "python"] / medians[executor, workers, impl]
        for executor, workers in itertools.product(("serial", "threads"), (1, 2))
        for impl in in_order
    ]
    assert [bar.get_height() for bar in axes.patches] == pytest.approx(expected)
    matrix = impl_speedups(summary, "julia")
    assert list(matrix.index) == in_order
    assert list(matrix.columns) == ["serial, workers=1", "serial, workers=2", "threads, workers=1",
                                    "threads, workers=2"]  # fmt: skip
    assert matrix.to_numpy().T.ravel() == pytest.approx(expected)
    scaling = scaling_per_impl(summary, "julia", CpuLimit(2))
    # serial's workers are no concurrency for kernels without threads of their own: not drawn
    assert [panel.get_title() for panel in scaling.axes] == ["threads"]
    threads_curves = [line.get_label() for line in scaling.axes[0].get_lines()]
    assert threads_curves == [*(f"impl {impl}" for impl in sorted(IMPLS)), "ideal"]
    paths = {path.name for path in write_plots(frame, summary, tmp_path)}
    assert {"impl_speedup_julia.png", "impl_scaling_julia.png"} <= paths
    # 10 impl x executor curves are more than one axis tells apart: a panel per executor
    times = time_vs_workers(summary, "julia")
    assert [panel.get_title() for panel in times.axes] == ["serial", "threads"]
    labels = [line.get_label() for line in times.axes[0].get_lines() if line.get_marker() == "o"]
    assert labels == [f"impl {impl}" for impl in sorted(IMPLS)]
    few = summary[summary["workload.impl"].isin(["python", "numpy"])]
    (one_axis,) = time_vs_workers(few, "julia").axes
    assert len([line for line in one_axis.get_lines() if line.get_marker() == "o"]) == 4


@pytest.fixture(scope="module")
def mixed_root(sweep_dir):
    """One results root holding two workloads with different keys: the module's pi sweep and a
    crawl sweep run beside it."""
    root = sweep_dir.parent.parent.parent
    crawl = ["workload=crawl", "workload.requests=6", "workload.delay_ms=10", "executor=asyncio"]
    crawl = run_cli(*crawl, "workers=1,3", "repeats=2", "warmup=0", "-m", cwd=root.parent)
    assert crawl.returncode == 0, crawl.stderr
    return root


def test_a_mixed_root_reads_as_one_section_per_workload_without_nan(mixed_root, tmp_path):
    result = run_report(str(mixed_root), "--out", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "index.html").read_text()
    assert not re.search(r"\bnan\b|NaN", page), "another workload's keys never show as nan"
    assert re.findall(r"<h2>(\w+)</h2>", page) == ["pi", "crawl"]
    verdicts = re.findall(r'<p class="verdict">Fastest: ([^<]+)</p>', page)
    assert len(verdicts) == 2
    for label in ("machine", "CPUs", "Python", "hpexp", "measured"):
        assert f"<th>{label}</th>" in page
    commands = re.findall(r"<th>command</th><td[^>]*><code>([^<]+)</code>", page)
    assert any("workload=crawl" in c and c.endswith(" -m") for c in commands), commands
    assert "2000000.0" not in result.stdout
    assert not re.search(r"\bnan\b", result.stdout, re.IGNORECASE)
    assert [line.split(":")[1] for line in result.stdout.splitlines() if "Fastest" in line] == [
        " pi",
        " crawl",
    ], "the terminal closes with each workload's verdict"
    frame = hpexp.load_results(mixed_root)
    for workload in ("pi", "crawl"):
        mine = frame[frame["workload"] == workload]
        for name, figure in figures_of(mine, hpexp.summarize(mine)).items():
            labels = [
                t.get_text()
                for a in figure.axes
                if a.get_legend()
                for t in a.get_legend().get_texts()
            ]
            assert labels, name
            assert not any("nan" in label for label in labels), (name, labels)
            assert not any(workload == "pi" and "delay" in label for label in labels)
            assert not any(label.endswith(".0 ms") for label in labels), "delay 20 ms, not 20.0"
            figure.canvas.draw()
            ticks = [t.get_text() for a in figure.axes for t in a.get_yticklabels(minor=True)]
            ticks += [t.get_text() for a in figure.axes for t in a.get_yticklabels()]
            assert not any("times" in t or "^" in t for t in ticks), (name, ticks)


def test_the_mixed_report_renders_in_a_real_browser(mixed_root, tmp_path):
    """What a person sees: the page rendered by headless Chromium, at a laptop's width."""
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium on PATH (Debian: apt install chromium)")
    assert run_report(str(mixed_root), "--out", str(tmp_path), cwd=tmp_path).returncode == 0
    shot = tmp_path / "page.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,2400",
         f"--screenshot={shot}", (tmp_path / "index.html").as_uri()],
        capture_output=True, timeout=120, check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 50_000, "a rendered page with tables and figures, not a blank one"


#: a user's sleep-bound workload: its timings hold still to well under 5% on a busy machine
GATED = ["workload=sleepy", "workload.naps=1", "workload.nap_ms=100", "repeats=5", "warmup=0"]


@pytest.fixture(scope="module")
def before_and_after(tmp_path_factory):
    """The same command run twice on a user's project, then once more after a change to its
    workload's code added a 20 ms sleep to every task: a real regression of 20%."""
    project = tmp_path_factory.mktemp("gate") / "project"
    shutil.copytree(Path(__file__).parent / "plugin_example", project)
    results = {}
    for name in ("before", "again", "after"):
        if name == "after":
            code = project / "sleepy.py"
            slower = "time.sleep(task)\n        time.sleep(0.02)"
            code.write_text(code.read_text().replace("time.sleep(task)", slower))
        where = f"results_dir={project / name}"
        result = run_cli("--config-dir", str(project / "conf"), *GATED, where, cwd=project)
        assert result.returncode == 0, result.stderr
        results[name] = project / name
    return results


def gate(a, b, *more, cwd):
    return run_report("--compare", str(a), str(b), "--fail-slower", "5%", *more, cwd=cwd)


def test_the_gate_fails_on_a_real_slowdown_and_writes_the_comparison(before_and_after, tmp_path):
    result = gate(before_and_after["before"], before_and_after["after"], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    (said,) = [line for line in result.stderr.splitlines() if line.startswith("hpexp: B is")]
    assert said.startswith("hpexp: B is slower than A by more than 5%, significantly, in 1 ")
    written = before_and_after["after"] / "report"
    table = pd.read_csv(written / "comparison.csv")
    assert table[["verdict", "regression"]].to_dict("records") == [
        {"verdict": "slower", "regression": True}
    ]
    document = json.loads((written / "comparison.json").read_text())
    assert document["fail_slower"] == 0.05
    (row,) = document["configurations"]
    assert row["ratio"] == pytest.approx(1.2, abs=0.05)
    # the line names the configuration and the ratio it measured, whatever else it says
    assert f"workload=sleepy, executor=serial, workers=1 ({row['ratio']:.2f}x" in said


def test_the_gate_passes_the_same_code_measured_again(before_and_after, tmp_path):
    out = tmp_path / "out"
    result = gate(
        before_and_after["before"], before_and_after["again"], "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("no configuration of B is more than 5% slower than A")
    assert (out / "comparison.csv").is_file()
    assert (out / "comparison.json").is_file()


def test_only_changed_hides_what_did_not_change(before_and_after, tmp_path):
    before, after = before_and_after["before"], before_and_after["after"]
    changed = run_report("--compare", str(before), str(after), "--only-changed", cwd=tmp_path)
    assert changed.returncode == 0, changed.stderr
    header, line = changed.stdout.splitlines()
    assert line.split()[header.split().index("verdict")] == "slower"
    same = run_report("--compare", str(before), str(before), "--only-changed", cwd=tmp_path)
    assert same.stdout.strip() == "no configuration changed significantly"
    assert "1 unchanged configuration(s) hidden" in same.stderr


def test_the_gate_cannot_pass_what_too_few_runs_cannot_decide(tmp_path):
    for name, walls in (("a", [1.0, 1.01, 0.99]), ("b", [2.0, 2.01, 1.99])):
        rows = [
            {"sweep_id": name, "job": 0, "workload": "pi", "executor": "pool", "workers": 2,
             "repeat": r, "wall_s": wall, "status": "ok", "error": ""}
            for r, wall in enumerate(walls)
        ]  # fmt: skip
        (tmp_path / name).mkdir()
        write_atomic(to_frame(rows), tmp_path / name / "results.parquet")
    result = gate(tmp_path / "a", tmp_path / "b", cwd=tmp_path)
    assert result.returncode == 2
    (verdict,) = pd.read_csv(tmp_path / "b" / "report" / "comparison.csv")["verdict"]
    assert verdict == "too few runs"
    assert result.stderr.strip().splitlines()[-1] == (
        "hpexp: cannot decide whether B is more than 5% slower: 1 configuration(s) have too few "
        "runs (first: workload=pi, executor=pool, workers=2, 3 and 3 runs); at alpha 0.05 the "
        "test needs at least 4 ok runs on each side (repeats=...)"
    )


def test_roots_that_cannot_be_compared_never_exit_as_a_regression(tmp_path):
    def root(name, **values):
        rows = [
            {"sweep_id": name, "job": 0, "workload": "pi", "executor": "serial", "workers": 1,
             "repeat": r, "wall_s": 1.0, "status": "ok", "overrides": "", **values}
            for r in range(5)
        ]  # fmt: skip
        write_atomic(to_frame(rows), tmp_path / name / "0" / "results.parquet")
        return str(tmp_path / name)

    a, other = root("a"), root("other", workload="julia")
    failed = root("failed", status="error")
    mismatched = gate(a, other, cwd=tmp_path)
    assert mismatched.returncode == 3, mismatched.stderr
    assert mismatched.stderr.startswith("hpexp: cannot compare: no configuration of")
    assert gate(a, failed, cwd=tmp_path).returncode == 3, "error-only B: nothing to compare"
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output dir should be")
    unwritable = gate(a, root("b"), "--out", str(blocked / "out"), cwd=tmp_path)
    assert unwritable.returncode == 3, unwritable.stderr
    assert "Traceback" not in unwritable.stderr


def test_the_chunksize_figure_draws_time_against_chunksize_and_number_of_chunks(tmp_path):
    """The 3rd edition's chunksize figures from a real sweep of multiprocessing.Pool chunks,
    in order and shuffled."""
    rows = []
    for chunksize, shuffle in itertools.product((1, 50, 250, 400, 1000), ("false", "true")):
        rows += measure("workload=primes", "workload.count=2000", "executor=mp_pool", "workers=2",
                        f"executor.chunksize={chunksize}", f"workload.shuffle={shuffle}",
                        "repeats=1", "warmup=0")  # fmt: skip
    frame = pd.DataFrame(rows)
    assert (frame["status"] == "ok").all()
    figures = figures_of(frame, hpexp.summarize(frame))
    by_size, by_count = figures["primes_chunksize.png"].axes
    for axes in (by_size, by_count):
        assert [line.get_label() for line in axes.get_lines() if line.get_marker() == "o"] == [
            "mp_pool, workload.shuffle=False", "mp_pool, workload.shuffle=True",
        ]  # fmt: skip
    (in_order, _) = [line for line in by_size.get_lines() if line.get_marker() == "o"]
    assert list(in_order.get_xdata()) == [1, 50, 250, 400, 1000]
    (few, _) = [line for line in by_count.get_lines() if line.get_marker() == "o"]
    assert list(few.get_xdata()) == [2, 5, 8], "2000 / 1000, / 400, / 250: at most 4 per worker"
    assert by_count.get_xlabel() == "number of chunks (dotted: multiples of 2 workers)"


def test_shuffle_sends_the_same_numbers_in_a_seeded_order():
    workload = hpexp.workload("primes", start=100, count=500, shuffle=True)
    first, again, other = workload.tasks(2, 7), workload.tasks(2, 7), workload.tasks(2, 8)
    assert first == again != other
    assert sorted(first) == list(range(100, 600))
    assert workload.reduce([is_prime(n) for n in first]).error is None
