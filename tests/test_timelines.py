"""Timelines beside the rows: each request's, hash's and save's span, and each CPU's busy share,
recorded by real runs against a real delay server, stored in timeline.parquet and drawn."""

import re
import threading
import time
import warnings

import pandas as pd
import pytest

import hpexp
from hpexp.analysis.timelines import counted, first_runs, most_in_flight
from hpexp.core.cpu_sampler import sampled_cpus
from hpexp.core.errors import ConfigError
from hpexp.results.layout import TIMELINE_FILE
from hpexp.results.store import UnreadableResults
from tests.conftest import run_cli


def crawl(tmp_path, server, *overrides: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = hpexp.run(
        "workload=crawl",
        f"workload.url={server.url}",
        "workload.requests=12",
        "workload.delay_ms=60",
        "repeats=1",
        "warmup=0",
        f"results_dir={tmp_path}",
        *overrides,
    )
    assert (rows.status == "ok").all(), rows.error.tolist()
    return rows, hpexp.load_timelines(tmp_path)


def requests_of(timeline: pd.DataFrame) -> pd.DataFrame:
    return timeline[timeline.kind == "request"].sort_values("start_s")


def test_serial_requests_follow_one_another(tmp_path, server):
    rows, timeline = crawl(tmp_path, server, "executor=serial")
    spans = requests_of(timeline)
    assert len(spans) == 12
    assert (spans.end_s.to_numpy()[:-1] <= spans.start_s.to_numpy()[1:]).all()
    assert most_in_flight(spans) == 1
    # every request lies inside the timed run, and lasts at least the server's delay
    assert spans.start_s.min() >= 0
    assert spans.end_s.max() <= rows.wall_s.iloc[0]
    assert (spans.end_s - spans.start_s >= 0.06).all()


@pytest.mark.parametrize("executor", ["asyncio", "threads", "gevent"])
def test_concurrent_clients_keep_workers_requests_in_flight(tmp_path, server, executor):
    _, timeline = crawl(tmp_path, server, f"executor={executor}", "workers=4")
    spans = requests_of(timeline)
    assert len(spans) == 12
    assert most_in_flight(spans) == 4


def test_the_timeline_joins_its_rows(tmp_path, server):
    rows, timeline = crawl(tmp_path, server, "executor=asyncio", "workers=3", "repeats=2")
    keys = ["sweep_id", "job", "repeat"]
    joined = timeline.merge(rows[[*keys, "wall_s"]], on=keys, validate="many_to_one")
    assert len(joined) == len(timeline)
    assert set(timeline.repeat) == {0, 1}
    assert set(timeline.executor) == {"asyncio"}
    assert set(timeline.workers) == {3}


def test_hashsave_records_every_hash_and_save(tmp_path, server):
    hpexp.run(
        "workload=hashsave",
        "executor=asyncio",
        "workers=3",
        "workload.tasks=6",
        "workload.batch=2",
        "workload.difficulty=4",
        "workload.save=http",
        f"workload.url={server.url}",
        "workload.delay_ms=50",
        "repeats=1",
        "warmup=0",
        f"results_dir={tmp_path}",
    )
    timeline = hpexp.load_timelines(tmp_path)
    counts = timeline.groupby("kind", observed=True).size().to_dict()
    assert counts["hash"] == 6
    assert counts["save"] == 3
    saves = timeline[timeline.kind == "save"]
    assert (saves.end_s - saves.start_s >= 0.05).all()
    # the saves wait behind the next hashes: more than one is in flight at a time
    assert most_in_flight(saves) > 1


def test_one_busy_thread_shows_about_one_busy_cpu():
    stop = threading.Event()

    def burn() -> None:
        while not stop.is_set():
            pass

    with sampled_cpus(0.05) as samples:
        started = time.perf_counter()
        thread = threading.Thread(target=burn)
        thread.start()
        time.sleep(1.0)
        stop.set()
        thread.join()
        ended = time.perf_counter()
    frame = pd.DataFrame(samples)
    assert set(frame.cpu) == set(range(len(set(frame.cpu))))
    assert frame.start.min() <= started
    assert frame.end.max() >= ended
    assert frame.busy.dropna().between(0, 1).all()
    assert frame.busy.notna().mean() > 0.9
    per_read = frame.groupby("start").busy.sum()
    # one thread keeps one CPU busy; what else the machine does can only add to it
    assert per_read.median() >= 0.8


def test_samples_cover_the_timed_run_and_can_be_switched_off(tmp_path):
    common = ["workload=pi", "workload.samples=2000000", "repeats=1", "warmup=0"]
    rows = hpexp.run(*common, f"results_dir={tmp_path / 'on'}", "sample_cpus_s=0.05")
    cpu = hpexp.load_timelines(tmp_path / "on")
    assert set(cpu.kind) == {"cpu"}
    assert cpu.start_s.min() <= 0.05
    assert cpu.end_s.max() >= rows.wall_s.iloc[0]
    assert rows.sample_cpus_s.iloc[0] == 0.05
    hpexp.run(*common, f"results_dir={tmp_path / 'off'}", "sample_cpus_s=0")
    assert not list((tmp_path / "off").rglob(TIMELINE_FILE))
    assert hpexp.load_timelines(tmp_path / "off").empty


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("-1", "a number of seconds >= 0"),
        ("0.001", "0 (off) or a number of seconds >= 0.01 (the kernel's tick)"),
        ("true", "a number"),
    ],
)
def test_bad_sampling_intervals_are_refused(tmp_path, value, allowed):
    with pytest.raises(
        ConfigError, match=f"invalid value for .sample_cpus_s.*{re.escape(allowed)}"
    ):
        hpexp.run(f"sample_cpus_s={value}", f"results_dir={tmp_path}")
    assert not list(tmp_path.iterdir())


def test_a_bad_interval_is_one_line_on_the_command_line(tmp_path):
    result = run_cli("sample_cpus_s=0.001", f"results_dir={tmp_path}", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "hpexp: invalid value for 'sample_cpus_s': 0.001 "
        "(allowed: 0 (off) or a number of seconds >= 0.01 (the kernel's tick))"
    ]


def test_a_broken_timeline_is_skipped_with_a_warning(tmp_path, server):
    crawl(tmp_path / "good", server, "executor=serial")
    broken = tmp_path / "broken" / TIMELINE_FILE
    broken.parent.mkdir()
    broken.write_bytes(b"not parquet")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        timeline = hpexp.load_timelines(tmp_path)
    assert len(requests_of(timeline)) == 12
    assert any(
        issubclass(w.category, UnreadableResults) and str(broken) in str(w.message) for w in caught
    )


def test_the_report_draws_each_configurations_first_run(tmp_path, server):
    hpexp.sweep(
        "workload=crawl",
        "executor=serial,asyncio",
        "workers=4",
        f"workload.url={server.url}",
        "workload.requests=8",
        "workload.delay_ms=50",
        "repeats=2",
        "warmup=0",
        "sample_cpus_s=0.01",
        f"results_dir={tmp_path}",
    )
    timeline = hpexp.load_timelines(tmp_path)
    runs = first_runs(timeline[timeline.kind == "request"])
    assert [label for label, _ in runs] == ["asyncio, 4 workers", "serial, 4 workers"]
    assert [counted(1, "hash"), counted(9, "hash"), counted(2, "save")] == [
        "1 hash",
        "9 hashes",
        "2 saves",
    ]
    assert all(set(run.repeat) == {0} and len(run) == 8 for _, run in runs)
    report = next(tmp_path.rglob("report"))
    assert {"crawl_timeline.png", "crawl_cpu.png"} <= {p.name for p in report.iterdir()}
    page = (report / "index.html").read_text()
    assert 'src="crawl_timeline.png"' in page
    assert 'src="crawl_cpu.png"' in page
