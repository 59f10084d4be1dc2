"""Whole sweeps through Hydra's launchers: the jobs run in other processes (joblib's loky
workers, submitit's local jobs), and the sweep still ends with one combined file, a report, and
its failures reported by the sweeping process."""

import pandas as pd
import pytest

import hpexp
from hpexp.api.elsewhere import FAILURES_DIR, collect_failures
from hpexp.api.rounds import Plan
from hpexp.results.layout import TIMELINE_FILE
from tests.conftest import finish_cli, start_cli

#: two jobs long enough (4 runs of about 0.2 s) that jobs started side by side overlap, and a
#: third that is refused: under a parallel launcher it is refused in another process
SWEEP = [
    "workload=pi",
    "workload.samples=1000000",
    "executor=serial",
    "workers=1,2,0",
    "repeats=3",
]
REFUSED = "hpexp: invalid value for 'workers': 0 (allowed: an integer from 1 to 65536)"
LAUNCHERS = ["basic", "joblib", "submitit_local"]


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    """Per launcher, the sweep's stderr and dir, from the same command; the sweeps run at the
    same time (their jobs' timings are not what these tests check)."""
    started = {}
    for launcher in LAUNCHERS:
        cwd = tmp_path_factory.mktemp(launcher)
        started[launcher] = (cwd, start_cli(*SWEEP, f"hydra/launcher={launcher}", "-m", cwd=cwd))
    results = {}
    for launcher, (cwd, process) in started.items():
        result = finish_cli(process, timeout=180)
        assert result.returncode == 2, result.stderr
        (sweep_dir,) = (cwd / "results" / "sweeps").glob("*/*")
        results[launcher] = (result.stderr, sweep_dir)
    return results


def shape(sweep_dir):
    """What a sweep wrote: its columns, statuses, jobs, report and timelines. The report's heat
    map is left out: it is drawn for runs of three CPU samples or more, and these sweeps' runs,
    made side by side, last about that long."""
    frame = hpexp.load_results(sweep_dir / "sweep.parquet")
    report = sorted(p.name for p in (sweep_dir / "report").iterdir() if p.name != "pi_cpu.png")
    jobs = sorted(frame[["job", "workers", "repeat"]].itertuples(index=False))
    timelines = sorted(p.parent.name for p in sweep_dir.rglob(TIMELINE_FILE))
    return list(frame.columns), frame["status"].tolist(), jobs, report, timelines


@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_a_launcher_sweep_combines_and_reports_like_a_basic_one(sweeps, launcher):
    assert shape(sweeps[launcher][1]) == shape(sweeps["basic"][1])
    assert shape(sweeps[launcher][1])[-1], "a job run in a launcher's process keeps its timeline"
    frame = hpexp.load_results(sweeps[launcher][1])
    assert set(frame["launcher"]) == {launcher}
    assert frame["hostname"].nunique() == 1


def test_jobs_a_parallel_launcher_ran_side_by_side_are_marked_contended(sweeps):
    frame = hpexp.load_results(sweeps["joblib"][1])
    spans = frame.groupby("job").agg(start=("started_at", "min"), end=("ended_at", "max"))
    assert spans["start"].max() < spans["end"].min(), "joblib ran both jobs at once"
    summary = hpexp.summarize(frame)
    assert summary["overlapped"].all()
    assert summary["contended"].all()
    basic = hpexp.summarize(hpexp.load_results(sweeps["basic"][1]))
    assert not basic["overlapped"].any(), "the basic launcher runs one job after another"


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_a_job_refused_in_a_launchers_process_fails_the_sweep_in_one_line(sweeps, launcher):
    stderr, sweep_dir = sweeps[launcher]
    assert [line for line in stderr.splitlines() if "invalid" in line] == [REFUSED]
    assert "Traceback" not in stderr
    assert len(hpexp.load_results(sweep_dir)) == 6, "the valid jobs' rows are kept"
    assert not (sweep_dir / FAILURES_DIR).exists(), "read, then removed"


def test_jobs_that_left_nothing_are_named_with_how_to_resume(tmp_path):
    (tmp_path / FAILURES_DIR).mkdir()
    (tmp_path / FAILURES_DIR / "1.json").write_text('{"message": "refused", "exit_code": 2}')
    failures = collect_failures(tmp_path, jobs=4, finished=pd.Series([0]))
    assert [(str(f), f.exit_code) for f in failures[:1]] == [("refused", 2)]
    assert str(failures[1]).startswith(f"job(s) 2, 3 of {tmp_path} left no results and no error")
    assert "resume=true" in str(failures[1])
    assert collect_failures(tmp_path, jobs=2, finished=[0, 1]) == []


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_rounds_reach_every_launcher_as_ordinary_jobs(tmp_path, launcher):
    args = ["workload=pi", "workload.samples=2000", "workers=1,2", "repeats=1", "warmup=0"]
    args += ["rounds=2", "order=random", "seed=5", "report=false", f"hydra/launcher={launcher}"]
    result = finish_cli(start_cli(*args, "-m", cwd=tmp_path), timeout=180)
    assert result.returncode == 0, result.stderr
    frame = hpexp.load_results(tmp_path / "results").sort_values("job")
    visits = Plan(2, "random", 5).visits([["workers=1"], ["workers=2"]])
    assert list(zip(frame["round"], frame["workers"], strict=True)) == [
        (r, [1, 2][i]) for r, i in visits
    ]
    assert set(frame["launcher"]) == {launcher}
