"""Results files: atomic writes, and loading any level of the results tree exactly once."""

import os
from datetime import UTC, datetime, timedelta

import pytest

import hpexp
from hpexp.results.schema import REQUIRED
from hpexp.results.store import SWEEP_FILE, to_frame, write_atomic


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
    assert everything["extra_metric"].notna().sum() == 2

    # a sweep file copied away from its job files still loads on its own
    copied = tmp_path / "copy" / SWEEP_FILE
    copied.parent.mkdir()
    copied.write_bytes((sweep / SWEEP_FILE).read_bytes())
    assert len(hpexp.load_results(copied)) == 6
    assert len(hpexp.load_results(tmp_path)) == 3 * 2 + 2 + 6


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
