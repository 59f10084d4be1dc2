"""hpexp as a library: ``hpexp.run`` and ``hpexp.sweep`` in a fresh interpreter, as a notebook
runs them, against the command line with the same overrides."""

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

import hpexp
from tests.conftest import files_under, kill_group, run_cli

SMALL = ["workload=pi", "workload.samples=20000", "repeats=2", "warmup=0", "progress=false"]
#: what differs between any two sweeps: when, where, and what was measured
PER_SWEEP = {"sweep_id", "started_at", "ended_at", "load_avg_1m", "quiet_waited_s"}


def python(code: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter, as a notebook's first cell would run it."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def test_a_sweep_from_python_gives_the_rows_the_command_line_gives(tmp_path):
    overrides = [*SMALL, "executor=serial,pool", "workers=1,2"]
    (tmp_path / "api").mkdir()
    (tmp_path / "cli").mkdir()
    api = python(
        f"""
        import hpexp
        frame = hpexp.sweep(*{overrides!r})
        frame.to_pickle("rows.pkl")
        """,
        tmp_path / "api",
    )
    assert api.returncode == 0, api.stderr
    cli = run_cli(*overrides, "-m", cwd=tmp_path / "cli")
    assert cli.returncode == 0, cli.stderr
    from_api = pd.read_pickle(tmp_path / "api" / "rows.pkl")
    from_cli = hpexp.load_results(tmp_path / "cli" / "results")
    assert list(from_api.columns) == list(from_cli.columns)
    assert dict(from_api.dtypes) == dict(from_cli.dtypes)
    assert len(from_api) == len(from_cli) == 8
    assert (from_api["status"] == "ok").all()
    assert (from_cli["status"] == "ok").all()
    keys = ["job", "executor", "workers", "repeat"]
    measured = {"max_rss_mb", "throughput", "ideal_fraction"}
    same = [c for c in from_api.columns if c not in PER_SWEEP | measured and not c.endswith("_s")]
    pd.testing.assert_frame_equal(
        from_api.sort_values(keys, ignore_index=True)[same],
        from_cli.sort_values(keys, ignore_index=True)[same],
    )
    written = files_under(tmp_path / "api" / "results" / "sweeps")
    assert [name for name in written if name.endswith("sweep.parquet")], written
    assert [name for name in written if name.endswith("report/index.html")], written


@pytest.mark.parametrize(
    "bad",
    [
        ["workers=0"],
        ["samples=5"],
        ["executor=thread"],
        ["workload.impl=fortran"],
        ["+experiment=nope"],
        ["hydra.callbacks.x._target_=os.system"],
    ],
    ids=lambda bad: bad[0],
)
def test_a_refused_value_raises_config_error_with_the_command_lines_line(tmp_path, bad):
    cli = run_cli(*bad, cwd=tmp_path, timeout=60)
    assert cli.returncode == 2
    with pytest.raises(hpexp.ConfigError) as refused:
        hpexp.run(*bad, f"results_dir={tmp_path / 'results'}")
    assert f"hpexp: {refused.value}" == cli.stderr.strip()
    assert files_under(tmp_path) == [], "nothing written, by either"


def test_a_refused_job_of_a_sweep_raises_after_the_other_jobs_ran(tmp_path):
    with pytest.raises(hpexp.ConfigError, match="invalid value for 'workers': 0"):
        hpexp.sweep(*SMALL, "workers=1,0", f"results_dir={tmp_path}", "report=false")
    kept = hpexp.load_results(tmp_path)
    assert list(kept["workers"]) == [1, 1]


def test_a_failed_run_is_rows_not_an_exception(tmp_path):
    frame = hpexp.run(
        "workload=crawl",
        "workload.url=http://127.0.0.1:9",
        "workload.requests=3",
        "repeats=1",
        f"results_dir={tmp_path}",
    )
    assert list(frame["status"]) == ["error"]
    assert frame["error"].iloc[0].startswith("3 of 3 requests failed"), frame["error"].iloc[0]


#: a notebook cell: a long sweep, interrupted by the kernel's Ctrl-C (SIGINT to the process)
NOTEBOOK = """
import signal, sys, hpexp
try:
    hpexp.sweep(
        "workload=pi", "workload.samples=40000000", "executor=pool", "workers=2",
        "repeats=1", "warmup=0", "seed=0,1,2,3,4,5", "results_dir=results", "report=false",
    )
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
print("handlers", signal.getsignal(signal.SIGINT) is signal.default_int_handler,
      signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, flush=True)
print("rows", len(hpexp.load_results("results")), flush=True)
"""


def test_ctrl_c_in_a_notebook_stops_the_jobs_processes_and_keeps_the_finished_rows(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-c", NOTEBOOK],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not list((tmp_path / "results").rglob("results.parquet")):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.5)  # into the next job: its pool is running
        workers = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    except BaseException:
        kill_group(process)
        raise
    assert process.returncode == 0, stderr
    lines = stdout.splitlines()
    assert lines[0] == "KeyboardInterrupt", stderr
    assert lines[1] == "handlers True True", "the library installs no signal handler"
    assert int(lines[2].split()[1]) >= 1, "the finished jobs' rows are kept"
    assert list((tmp_path / "results").rglob("sweep.parquet")), "and combined"
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, f"the job's processes were stopped: {alive}"


def test_a_run_from_another_thread_works_and_says_its_time_limit_is_not_enforced(tmp_path):
    """Python lets only the main thread handle signals, which the trial time limit needs."""
    import threading
    import warnings

    from hpexp.core.trials import NoTimeLimit

    done = {}

    def job():
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            done["frame"] = hpexp.run(*SMALL, f"results_dir={tmp_path}")
        done["said"] = [w for w in said if issubclass(w.category, NoTimeLimit)]

    thread = threading.Thread(target=job)
    thread.start()
    thread.join(120)
    assert list(done["frame"]["status"]) == ["ok", "ok"]
    assert done["said"], "the caller is told trial_timeout_s is not enforced"
