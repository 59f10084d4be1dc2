"""Chapter 8's CPU-and-I/O workload (hashsave) on real executors, a real delay server, and a
real server that answers wrong."""

import glob
import json
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import hpexp
from hpexp.core.errors import ConfigError
from hpexp.workloads.hashsave.overlap import io_overlap, merged
from tests.conftest import files_under, run_cli
from tests.conftest import measure as measure_job

#: every save on these; the other executors (their own driver or the generic path) with http
EXECUTORS = ["serial", "threads", "asyncio", "gevent"]
HTTP_ONLY = ["pool", "uvloop", "tornado"]
CELLS = [(e, save) for e in EXECUTORS for save in ("none", "file", "http")]
CELLS += [(e, "http") for e in HTTP_ONLY]
#: the client each executor saves with over http (the generic path: requests per thread)
HTTP_CLIENTS = {
    "asyncio": "aiohttp.ClientSession",
    "uvloop": "aiohttp.ClientSession",
    "tornado": "tornado.AsyncHTTPClient",
    "gevent": "urllib3.PoolManager shared by greenlets",
}
SMALL = ["workload=hashsave", "workload.difficulty=4", "repeats=1", "warmup=0"]


class WrongEcho(BaseHTTPRequestHandler):
    """Answers every save 200 with an echo of something else (or 500 at ``/fail``)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.startswith("/fail"):
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"disk full\n")
            return
        body = json.dumps({"result": "$2b$04$not-what-you-sent"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads the rows, not the server's log."""


@pytest.fixture(scope="module")
def wrong_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), WrongEcho)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def measure(*overrides: str) -> dict:
    (row,) = measure_job(*SMALL, *overrides)
    return row


@pytest.mark.parametrize(("executor", "save"), CELLS)
def test_every_save_on_every_executor_is_made_and_checked(server, executor, save):
    row = measure(
        f"executor={executor}",
        f"workload.save={save}",
        f"workload.url={server.url}",
        "workload.tasks=6",
        "workload.delay_ms=20",
        "workers=3",
    )
    assert row["status"] == "ok", row["error"]
    assert (row["hashes"], row["units"], row["tasks"]) == (6, 6, 6)
    assert (row["saves"], row["save_errors"]) == ((0, 0) if save == "none" else (6, 0))
    assert 0 < row["hash_s"] < row["cpu_s"] + 1
    if save == "http":
        assert row["client"] == HTTP_CLIENTS.get(executor, "requests.Session per thread")
        assert row["save_s"] >= 6 * 0.02, "every save waited for the 20 ms server"
        assert 0 <= row["io_overlap"] <= 1
    else:
        assert row["client"] == {"none": "none", "file": "file append"}[save]
    if save == "none":
        assert row["save_s"] == 0
        assert row["io_overlap"] != row["io_overlap"], "NaN: nothing was saved"


@pytest.mark.parametrize("executor", ["serial", "threads", "asyncio", "gevent"])
def test_a_batch_is_one_save_of_its_hashes(server, executor):
    row = measure(
        f"executor={executor}",
        f"workload.url={server.url}",
        "workload.tasks=10",
        "workload.batch=4",
        "workload.delay_ms=20",
        "workers=2",
    )
    assert row["status"] == "ok", row["error"]
    assert (row["hashes"], row["tasks"], row["saves"]) == (10, 3, 3)
    assert row["workload.batch"] == 4


def test_serial_saves_hide_nothing_and_the_async_saves_hide_behind_hashing(server):
    common = [f"workload.url={server.url}", "workload.tasks=8", "workload.delay_ms=30"]
    common += ["workload.difficulty=8", "workers=8"]
    serial = measure("executor=serial", *common)
    asynchronous = measure("executor=asyncio", *common)
    assert serial["io_overlap"] == 0, "serial never hashes while a save waits"
    assert asynchronous["io_overlap"] > 0.5, "each save but the last waits while the next hashes"
    assert serial["wall_s"] >= serial["hash_s"] + serial["save_s"] * 0.99


@pytest.mark.parametrize("executor", ["serial", "asyncio", "tornado", "gevent"])
def test_a_wrong_echo_and_a_failed_save_are_error_rows(wrong_server, executor):
    wrong = measure(f"executor={executor}", f"workload.url={wrong_server}", "workload.tasks=3")
    assert wrong["status"] == "error"
    assert wrong["error"].startswith("3 of 3 saves failed, first: the server echoed ")
    assert (wrong["saves"], wrong["save_errors"]) == (0, 3)
    failing = measure(
        f"executor={executor}",
        f"workload.url={wrong_server}/fail",
        "workload.tasks=2",
    )
    assert failing["status"] == "error"
    assert failing["error"].endswith("HTTP 500: disk full"), failing["error"]


def test_a_file_that_lost_a_hash_is_an_error_and_files_are_removed():
    before = set(glob.glob(f"{tempfile.gettempdir()}/hpexp-hashsave-*"))
    workload = hpexp.workload("hashsave", tasks=3, difficulty=4, save="file")
    workload.prepare()
    try:
        tasks = workload.tasks(1, seed=0)
        results = [workload.run(task) for task in tasks]
        path = Path(tasks[0].target)
        path.write_text("\n".join(path.read_text().split()[:2]) + "\n")
        outcome = workload.reduce(results)
        assert outcome.error == "the run's file holds 2 hashes, not the 3 saved"
        assert not path.exists()
        again = workload.tasks(1, seed=0)
        assert again[0].target != tasks[0].target, "each run saves to a file of its own"
        assert workload.reduce([workload.run(task) for task in again]).error is None
    finally:
        workload.close()
    assert set(glob.glob(f"{tempfile.gettempdir()}/hpexp-hashsave-*")) == before


def test_the_same_seed_gives_the_same_passwords_in_batches():
    workload = hpexp.workload("hashsave", tasks=5, batch=2, save="none")
    first, second = workload.tasks(1, seed=3), workload.tasks(1, seed=3)
    assert [t.passwords for t in first] == [t.passwords for t in second]
    assert [len(t.passwords) for t in first] == [2, 2, 1]
    assert all(len(p) == 10 and len(set(p)) == 10 for t in first for p in t.passwords)
    assert first[0].passwords != workload.tasks(1, seed=4)[0].passwords


def test_overlap_counts_save_time_covered_by_some_hash():
    assert merged([(3, 4), (0, 1), (0.5, 2)])[0].tolist() == [0, 3]
    hashes = [(0, 1), (0.5, 2), (3, 4)]
    assert io_overlap(hashes, [(1, 3)]) == pytest.approx(0.5)  # 1..2 hidden, 2..3 alone
    assert io_overlap(hashes, [(4, 5), (0, 1)]) == pytest.approx(0.5)
    assert io_overlap([], [(0, 1)]) == 0
    assert io_overlap(hashes, []) != io_overlap(hashes, [])  # NaN


def test_the_server_echoes_a_post_after_its_delay(server):
    request = urllib.request.Request(
        f"{server.url}/add?delay=50", data=b"$2b$08$abc", method="POST"
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response) == {"result": "$2b$08$abc", "delay_ms": 50}
    assert time.perf_counter() - started >= 0.05
    bad = urllib.request.Request(f"{server.url}/add?delay=x", data=b"a", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bad, timeout=5)
    assert refused.value.code == 400


BAD_VALUES = [
    ("tasks", "0", "an integer >= 1"),
    ("difficulty", "3", "an integer from 4 to 16"),
    ("difficulty", "17", "an integer from 4 to 16"),
    ("save", "disk", "none | file | http"),
    ("batch", "0", "an integer >= 1"),
    ("delay_ms", "-1", "an integer >= 0"),
    ("url", "ftp://x", "null (the embedded server) | a base URL like http://host:port"),
    ("timeout_s", "0", "a number of seconds > 0"),
]


def test_bad_values_of_every_key_are_one_line(tmp_path):
    for key, value, allowed in BAD_VALUES:
        parsed = {"save": value, "url": value, "timeout_s": 0.0}.get(key, value)
        with pytest.raises(ConfigError) as refused:
            hpexp.workload(
                "hashsave", **{key: parsed if key in ("save", "url", "timeout_s") else int(value)}
            )
        shown = repr(parsed) if key in ("save", "url") else parsed
        expected = f"invalid value for 'workload.{key}': {shown} (allowed: {allowed})"
        assert str(refused.value) == expected
    with pytest.raises(ConfigError, match=r"'workload\.difficulty': True"):
        hpexp.workload("hashsave", difficulty=True)
    # and the command line gives the same, prefixed with the group, in one line
    for key, value, allowed in (BAD_VALUES[2], BAD_VALUES[3], BAD_VALUES[6]):
        result = run_cli("workload=hashsave", f"workload.{key}={value}", cwd=tmp_path, timeout=60)
        assert result.returncode == 2, (key, result.stderr)
        shown = repr(value) if key in ("save", "url") else value
        assert result.stderr == (
            f"hpexp: invalid value for 'workload.{key}': {shown} (allowed: {allowed})\n"
        )
    assert files_under(tmp_path / "results") == []


def test_the_preset_sweep_is_the_books_grid_and_its_report_has_the_figure(tmp_path):
    result = run_cli(
        "workload=hashsave",
        "workload.tasks=3",
        "workload.difficulty=4",
        "workload.delay_ms=5",
        "workload.save=none,http",
        "executor=serial,asyncio",
        "workers=10",
        "repeats=2",
        "warmup=0",
        "-m",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (report,) = (tmp_path / "results" / "sweeps").glob("*/*/report")
    assert (report / "hashsave_io_cost.png").stat().st_size > 10_000
    assert "hashsave_io_cost.png" in (report / "index.html").read_text()
    preset = run_cli("+experiment=hashsave_ch8", "--cfg", "hydra", cwd=tmp_path, timeout=60)
    params = preset.stdout.split("params:")[1]
    for line in (
        "workload.difficulty: 8,10,11,12",
        "workload.save: none,file,http",
        "workload.batch: 1,100",
        "executor: serial,asyncio,uvloop",
    ):
        assert line in params


def test_forked_workers_never_share_the_parents_kept_alive_session(server):
    """A serial job leaves this thread a Session with a socket kept alive; forked pool workers
    inherit the thread-local, and must not use that socket from several processes at once."""
    common = [f"workload.url={server.url}", "workload.tasks=12", "workload.delay_ms=20"]
    assert measure("executor=serial", *common)["status"] == "ok"
    pooled = measure("executor=pool", "executor.start_method=fork", "workers=3", *common)
    assert pooled["status"] == "ok", pooled["error"]
