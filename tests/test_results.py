"""Results files: atomic writes, and loading any level of the results tree exactly once."""

import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import hpexp
from hpexp.core.cpu_sampler import CpuSample
from hpexp.core.trials import Trial, Trials
from hpexp.core.workload import Span
from hpexp.results.layout import SWEEP_FILE, TIMELINE_FILE, discard_bookkeeping
from hpexp.results.resume import complete_results
from hpexp.results.schema import REQUIRED
from hpexp.results.store import (
    ResultsNotWritten,
    UnreadableResults,
    to_frame,
    write_atomic,
    write_job_results,
)
from hpexp.results.timeline import DTYPES as TIMELINE_DTYPES
from hpexp.results.timeline import write_timeline


def rows(sweep_id, job, n=2, **extra):
    return [
        {
            "sweep_id": sweep_id,
            "job": job,
            "workload": "pi",
            "executor": "pool",
            "workers": job + 1,
            "repeat": r,
            "overrides": f"workers={job + 1}",
            "wall_s": 1.0 / (job + 1),
            "status": "ok",
            "error": "",
            "started_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=job, seconds=r),
            **extra,
        }
        for r in range(n)
    ]


def test_empty_results_root_gives_the_schema_columns(tmp_path):
    df = hpexp.load_results(tmp_path)
    assert df.empty
    assert list(df.columns) == list(REQUIRED)


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results at"):
        hpexp.load_results(tmp_path / "nope")


def test_sweep_file_and_job_files_are_not_double_counted(tmp_path):
    sweep = tmp_path / "sweeps" / "d" / "t"
    for job in range(3):
        write_atomic(to_frame(rows("sweeps/d/t", job)), sweep / str(job) / "results.parquet")
    write_atomic(hpexp.load_results(sweep), sweep / SWEEP_FILE)
    run = tmp_path / "runs" / "d" / "t"
    write_atomic(to_frame(rows("runs/d/t", 0, extra_metric=3.5)), run / "results.parquet")

    everything = hpexp.load_results(tmp_path)
    assert len(everything) == 3 * 2 + 2
    assert everything["started_at"].is_monotonic_increasing
    assert list(everything.index) == list(range(8))
    assert list(everything["job"]) == [0, 0, 0, 0, 1, 1, 2, 2], "by start time, then job"
    assert everything["extra_metric"].notna().sum() == 2

    # a sweep file copied away from its job files still loads on its own
    copied = tmp_path / "copy" / SWEEP_FILE
    copied.parent.mkdir()
    copied.write_bytes((sweep / SWEEP_FILE).read_bytes())
    assert len(hpexp.load_results(copied)) == 6
    # inside the root, the copy holds jobs already read: a measurement is one row, not two
    assert len(hpexp.load_results(tmp_path)) == 3 * 2 + 2


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "results.parquet"
    write_atomic(to_frame(rows("s", 0)), target)
    before = target.read_bytes()

    unwritable = to_frame(rows("s", 1))
    unwritable["bad"] = [object(), object()]  # pyarrow cannot serialise this mid-write
    with pytest.raises(Exception, match="object"):
        write_atomic(unwritable, target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["results.parquet"]


def test_the_temporary_is_a_hidden_sibling_and_the_index_is_not_stored(tmp_path, monkeypatch):
    """A rename is atomic only within one filesystem, and a half-written file must never look
    like results: the temporary sits beside the target, hidden, and ends in .tmp."""
    renamed = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renamed.append(Path(a)), real_replace(a, b)))
    target = tmp_path / "job" / "results.parquet"
    frame = to_frame(rows("s", 0, n=4)).iloc[[1, 3]]  # an index that is not 0..n-1
    write_atomic(frame, target)
    (temporary,) = renamed
    assert temporary.parent == target.parent
    assert temporary.name.startswith(".results.parquet.")
    assert temporary.name.endswith(".tmp")
    assert pq.read_schema(target).names == list(frame.columns), "no index column"


def test_rows_parquet_cannot_hold_are_kept_as_json_lines_and_the_error_says_where(tmp_path):
    unstorable = rows("s", 0, huge=2**70)  # beyond int64
    target = tmp_path / "results.parquet"
    with pytest.raises(ResultsNotWritten) as refused:
        write_job_results(unstorable, target)
    kept = tmp_path / "results.parquet.rows.jsonl"
    lines = kept.read_text().splitlines()
    assert [json.loads(line) for line in lines] == json.loads(json.dumps(unstorable, default=str))
    assert str(kept) in str(refused.value)
    assert str(target) in str(refused.value)
    assert "2 rows" in str(refused.value)
    assert not target.exists()


def test_rows_go_to_the_temporary_dir_when_the_job_dir_cannot_be_written(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("a file where the job dir should be")
    with pytest.raises(ResultsNotWritten) as refused:
        write_job_results(rows("s", 0), not_a_dir / "results.parquet")
    saved = Path(str(refused.value).split(" are in ")[1].split(" (JSON")[0])
    try:
        assert saved.parent == Path(tempfile.gettempdir())
        assert saved.name.startswith("hpexp-rows-")
        assert saved.suffix == ".jsonl"
        assert [json.loads(line)["repeat"] for line in saved.read_text().splitlines()] == [0, 1]
    finally:
        saved.unlink()


def test_an_unreadable_file_is_skipped_with_a_warning(tmp_path):
    broken = tmp_path / "results.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.warns(UnreadableResults, match="skipping unreadable results file"):
        frame = hpexp.load_results(broken)
    assert frame.empty
    assert list(frame.columns) == list(REQUIRED)


def test_a_deleted_job_dirs_rows_come_from_the_sweep_file_once(tmp_path):
    sweep = tmp_path / "sweeps" / "d" / "t"
    for job in range(2):
        write_atomic(to_frame(rows("sweeps/d/t", job)), sweep / str(job) / "results.parquet")
    write_atomic(hpexp.load_results(sweep), sweep / SWEEP_FILE)
    (sweep / "1" / "results.parquet").unlink()
    copy = tmp_path / "elsewhere" / SWEEP_FILE  # a second copy of the same jobs
    copy.parent.mkdir()
    copy.write_bytes((sweep / SWEEP_FILE).read_bytes())
    frame = hpexp.load_results(tmp_path)
    assert sorted(zip(frame["job"], frame["repeat"], strict=True)) == [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    ]


def test_reader_never_sees_a_partial_file(tmp_path):
    """Concurrent reads while rewriting always see a complete file, old or new."""
    import threading

    target = tmp_path / "results.parquet"
    small, large = to_frame(rows("s", 0, n=2)), to_frame(rows("s", 0, n=20_000))
    write_atomic(small, target)
    stop = threading.Event()
    seen = []

    failures = []

    def read_forever():
        while not stop.is_set():
            try:
                seen.append(len(hpexp.load_results(target)))
            except Exception as exc:
                failures.append(exc)

    reader = threading.Thread(target=read_forever)
    reader.start()
    try:
        for _ in range(20):
            write_atomic(large, target)
            write_atomic(small, target)
    finally:
        stop.set()
        reader.join()
    assert not failures
    assert seen
    assert set(seen) <= {2, 20_000}


IDENTITY = {"overrides": "workers=1", "config_hash": "abc", "round": 0}


def job_dir_with(tmp_path, statuses, **changes):
    """A job dir holding one row per status, as a finished job would."""
    made = rows("s", 0, n=len(statuses))
    for row, status in zip(made, statuses, strict=True):
        row.update(IDENTITY, **changes, status=status)
    frame = to_frame(made)
    write_atomic(frame, tmp_path / "0" / "results.parquet")
    return tmp_path / "0"


def test_complete_results_stand_in_for_a_rerun(tmp_path):
    job = job_dir_with(tmp_path, ["ok", "ok"])
    earlier = complete_results(job, IDENTITY, repeats=2)
    assert earlier is not None
    assert list(earlier["status"]) == ["ok", "ok"]


@pytest.mark.parametrize(
    ("statuses", "changes", "repeats"),
    [
        (["ok", "ok"], {}, 3),  # fewer rows than repeats
        (["ok", "error"], {}, 2),  # a failed repeat
        (["timeout"], {}, 1),  # one row, not ok
        (["ok", "ok"], {"overrides": "workers=2"}, 2),  # another sweep's job
        (["ok", "ok"], {"config_hash": "def"}, 2),  # the config changed since
        (["ok", "ok"], {"round": 1}, 2),  # another round's visit of the same configuration
    ],
)
def test_incomplete_or_stale_results_are_run_again(tmp_path, statuses, changes, repeats):
    assert complete_results(job_dir_with(tmp_path, statuses, **changes), IDENTITY, repeats) is None


def test_results_from_before_rounds_are_round_0(tmp_path):
    job = job_dir_with(tmp_path, ["ok"])
    frame = pd.read_parquet(job / "results.parquet").drop(columns="round")
    write_atomic(frame, job / "results.parquet")
    assert complete_results(job, IDENTITY, repeats=1) is not None
    assert complete_results(job, IDENTITY | {"round": 2}, repeats=1) is None


def test_a_missing_job_dir_is_run(tmp_path):
    assert complete_results(tmp_path / "never", IDENTITY, repeats=1) is None


def test_discard_bookkeeping_removes_only_hydras_files_and_empty_dirs(tmp_path):
    root = tmp_path / "results"
    job = root / "sweeps" / "d" / "t" / "0"
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "config.yaml").write_text("x")
    (job / "hpexp.log").write_text("x")
    keep = root / "sweeps" / "d" / "other.txt"
    keep.write_text("a user's file")
    discard_bookkeeping(job, root)
    assert not (root / "sweeps" / "d" / "t").exists(), "emptied dirs are pruned"
    assert keep.read_text() == "a user's file"
    assert root.is_dir(), "the results root itself stays"
    lone = root / "runs" / "d" / "t"
    (lone / ".hydra").mkdir(parents=True)
    discard_bookkeeping(lone, root)
    assert not (root / "runs").exists()
    assert root.is_dir()


def test_a_file_whose_job_column_is_text_is_skipped_with_a_warning(tmp_path):
    write_atomic(to_frame(rows("s", 0)), tmp_path / "a" / "0" / "results.parquet")
    foreign = to_frame(rows("t", 0)).astype({"job": "string"}).assign(job="first")
    write_atomic(foreign, tmp_path / "b" / "0" / "results.parquet")
    with pytest.warns(UnreadableResults, match="column 'job' does not hold integers"):
        frame = hpexp.load_results(tmp_path)
    assert list(frame["sweep_id"].unique()) == ["s"]


def test_a_timeline_counts_from_each_runs_timed_start_and_joins_its_row(tmp_path):
    started = datetime.now(UTC)
    first = Trial(0, started, 0.1, timed_from=100.0, spans=[Span("request", 100.5, 101.0)])
    first.cpu_samples = [CpuSample(100.0, 100.1, 0, 0.5), CpuSample(100.0, 100.1, 1, 0.25)]
    second = Trial(1, started, 0.1, timed_from=200.0, spans=[Span("save", 200.25, 200.75)])
    columns = {"sweep_id": "s", "job": 3, "round": 2, "workload": "crawl", "executor": "asyncio",
               "workers": 4, "overrides": "workers=4", "seed": 0}  # fmt: skip
    write_timeline(columns, Trials([first, second], {}), tmp_path)
    timeline = hpexp.load_timelines(tmp_path / TIMELINE_FILE)
    assert timeline[["repeat", "kind", "start_s", "end_s"]].values.tolist() == [
        [0, "cpu", 0.0, pytest.approx(0.1)],
        [0, "cpu", 0.0, pytest.approx(0.1)],
        [0, "request", 0.5, 1.0],
        [1, "save", 0.25, 0.75],
    ]
    assert timeline["cpu"].tolist()[:2] == [0, 1]
    assert timeline["busy"].tolist()[:2] == [0.5, 0.25]
    assert timeline["cpu"][2:].isna().all()
    assert timeline["busy"][2:].isna().all()
    assert set(timeline.columns) == set(TIMELINE_DTYPES)
    assert "seed" not in timeline, "a timeline repeats only what tells its run apart"
    same = ["sweep_id", "job", "round", "workload", "executor", "workers", "overrides"]
    assert timeline[same].drop_duplicates().values.tolist() == [
        ["s", 3, 2, "crawl", "asyncio", 4, "workers=4"]
    ]
    assert {c: str(t) for c, t in timeline.dtypes.items()} == TIMELINE_DTYPES


def test_a_job_that_recorded_nothing_leaves_no_timeline(tmp_path):
    stale = tmp_path / TIMELINE_FILE
    stale.write_bytes(b"an earlier run's")
    nothing = Trials([Trial(0, datetime.now(UTC), 0.0, timed_from=1.0)], {})
    write_timeline({"sweep_id": "s", "job": 0}, nothing, tmp_path)
    assert not stale.exists(), "a re-run job never shows another run's spans"


def test_timelines_load_from_every_job_dir_sorted_and_empty_with_columns(tmp_path):
    for job in (1, 0):
        trial = Trial(0, datetime.now(UTC), 0.0, timed_from=0.0, spans=[Span("hash", 2.0, 3.0),
                      Span("hash", 1.0, 2.0)])  # fmt: skip
        write_timeline({"sweep_id": "s", "job": job}, Trials([trial], {}), tmp_path / str(job))
    timeline = hpexp.load_timelines(tmp_path)
    assert timeline[["job", "start_s"]].values.tolist() == [[0, 1.0], [0, 2.0], [1, 1.0], [1, 2.0]]
    (tmp_path / "empty").mkdir()
    none = hpexp.load_timelines(tmp_path / "empty")
    assert none.empty
    assert {c: str(t) for c, t in none.dtypes.items()} == TIMELINE_DTYPES
    with pytest.raises(FileNotFoundError, match="no results at"):
        hpexp.load_timelines(tmp_path / "missing")


def test_a_broken_timeline_is_skipped_by_name_and_the_rest_loads_in_order(tmp_path):
    write_timeline({"sweep_id": "s", "job": 0}, Trials([], {}), tmp_path)  # nothing to remove
    assert not (tmp_path / TIMELINE_FILE).exists()
    for job in (0, 1):
        trial = Trial(0, datetime.now(UTC), 0.0, timed_from=0.0, spans=[Span("hash", 0.0, 1.0)])
        write_timeline({"sweep_id": "s", "job": job}, Trials([trial], {}), tmp_path / str(job))
    broken = tmp_path / "2" / TIMELINE_FILE
    broken.parent.mkdir()
    broken.write_bytes(b"not parquet")
    with pytest.warns(UnreadableResults, match=f"skipping unreadable timeline {broken}"):
        timeline = hpexp.load_timelines(tmp_path)
    assert list(timeline.index) == [0, 1]
    assert list(timeline.columns) == list(TIMELINE_DTYPES)


def test_a_results_file_names_the_timelines_of_its_runs(tmp_path):
    trial = Trial(0, datetime.now(UTC), 0.0, timed_from=0.0, spans=[Span("save", 0.0, 1.0)])
    for job in (0, 1):
        job_dir = tmp_path / str(job)
        row = {"sweep_id": "s", "job": job, "repeat": 0, "workers": 1}
        write_job_results([row], job_dir / "results.parquet")
        write_timeline({"sweep_id": "s", "job": job}, Trials([trial], {}), job_dir)
    (tmp_path / "sweep.parquet").write_bytes((tmp_path / "0" / "results.parquet").read_bytes())
    assert list(hpexp.load_timelines(tmp_path / "1" / "results.parquet")["job"]) == [1]
    assert list(hpexp.load_timelines(tmp_path / "sweep.parquet")["job"]) == [0, 1]
    (tmp_path / "1" / TIMELINE_FILE).unlink()
    assert hpexp.load_timelines(tmp_path / "1" / "results.parquet").empty
    stray = tmp_path / "2" / TIMELINE_FILE
    stray.parent.mkdir()
    (tmp_path / "0" / "results.parquet").replace(stray)
    with pytest.warns(UnreadableResults, match=f"skipping {stray}: not a timeline"):
        assert list(hpexp.load_timelines(tmp_path)["job"]) == [0]
