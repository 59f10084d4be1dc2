"""The crawl workload and its delay server, on loopback with real servers, pools and loops."""

import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import psutil
import pytest

import hpexp
from hpexp.core.errors import ConfigError
from tests.conftest import files_under, run_cli
from tests.conftest import measure as measure_job

EXECUTORS = [
    ("serial", []),
    ("threads", []),
    ("pool", []),
    ("joblib", []),
    ("asyncio", []),
    ("asyncio", ["executor.loop=uvloop"]),
    ("tornado", []),
    ("gevent", []),
]
ASYNCIO = "hpexp.executors.asyncio_loop.AsyncioExecutor"
CLIENTS = {
    "asyncio": ("aiohttp.ClientSession", 4),
    "tornado": ("tornado.AsyncHTTPClient", 4),
    "gevent": ("urllib3.PoolManager shared by greenlets", 4),
}


@pytest.fixture
def closed_url() -> Iterator[str]:
    """A loopback port that is bound but not listening: connecting is refused, never raced."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def measure(*overrides):
    return measure_job("workload=crawl", *overrides)


@pytest.mark.parametrize(("executor", "extra"), EXECUTORS)
def test_every_executor_fetches_every_url(server, executor, extra):
    rows = measure(
        f"executor={executor}",
        *extra,
        f"workload.url={server.url}",
        "workload.requests=12",
        "workload.delay_ms=50",
        "workers=4",
        "repeats=1",
        "warmup=0",
    )
    (row,) = rows
    assert row["status"] == "ok", row["error"]
    assert (row["ok_requests"], row["errors"], row["units"]) == (12, 0, 12)
    assert row["bytes"] == 12 * len("added hpexp after 50 ms\n")
    assert 50 <= row["latency_p50_ms"] <= row["latency_p95_ms"] <= row["latency_p99_ms"]
    assert row["latency_p99_ms"] <= row["latency_max_ms"] < 5000
    assert row["ideal_s"] == pytest.approx(12 * 0.05 / 4)
    assert row["ideal_fraction"] == pytest.approx(row["ideal_s"] / row["wall_s"])
    assert row["wall_s"] >= 3 * 0.05, "three rounds of four 50 ms requests cannot be faster"
    client, limit = CLIENTS.get(executor, ("requests.Session per thread", 1))
    assert (row["client"], row["client_limit"]) == (client, limit)


def test_concurrency_overlaps_requests(server):
    common = [f"workload.url={server.url}", "workload.requests=8", "workload.delay_ms=100"]
    common += ["repeats=1", "warmup=0"]
    serial = measure("executor=serial", *common)[0]
    crowd = measure("executor=asyncio", "workers=8", *common)[0]
    assert serial["wall_s"] >= 0.8
    assert crowd["wall_s"] < serial["wall_s"] / 2, "eight 100 ms requests overlap"


def test_embedded_server_is_started_and_stopped():
    (row,) = measure("workload.requests=3", "workload.delay_ms=0", "repeats=1", "warmup=0")
    assert row["status"] == "ok", row["error"]
    assert row["workload.url"] is None


def test_the_gevent_crawl_leaves_this_process_unpatched(server):
    common = [f"workload.url={server.url}", "workload.requests=4", "workload.delay_ms=0"]
    common += ["workers=2", "repeats=1", "warmup=0"]
    assert measure("executor=gevent", *common)[0]["status"] == "ok"
    assert socket.socket.__module__ == "socket"
    assert "gevent.monkey" not in sys.modules
    assert measure("executor=threads", *common)[0]["status"] == "ok"


@pytest.mark.parametrize("executor_name", ["serial", "asyncio", "tornado", "gevent"])
def test_refused_timed_out_and_bad_status_requests_are_counted(server, closed_url, executor_name):
    refused = hpexp.workload("crawl", requests=3, url=closed_url)
    timed_out = hpexp.workload("crawl", requests=2, delay_ms=2000, url=server.url, timeout_s=0.2)
    not_found = hpexp.workload("crawl", requests=2, url=f"{server.url}/nowhere")
    with hpexp.executor(executor_name, 2) as executor:
        outcomes = {}
        for name, workload in [("refused", refused), ("timed_out", timed_out), ("404", not_found)]:
            started = time.perf_counter()
            outcomes[name] = workload.reduce(executor.run(workload, workload.tasks(2, seed=0)))
            outcomes[name].metrics["wall_s"] = time.perf_counter() - started
    for name, errors in [("refused", 3), ("timed_out", 2), ("404", 2)]:
        outcome = outcomes[name]
        assert (outcome.metrics["errors"], outcome.metrics["ok_requests"]) == (errors, 0)
        assert outcome.units == 0
        assert outcome.error.startswith(f"{errors} of {errors} requests failed, first: ")
    assert outcomes["timed_out"].metrics["wall_s"] < 1.5, "the timeout cut the 2 s delay short"
    assert outcomes["404"].error.endswith("HTTP 404: 404: Not Found")


def test_a_closed_port_gives_error_rows_and_the_sweep_goes_on(tmp_path, server, closed_url):
    result = run_cli(
        "workload=crawl",
        "executor=asyncio",
        f"workload.url={closed_url},{server.url}",
        "workload.requests=5",
        "workload.delay_ms=10",
        "workers=5",
        "repeats=2",
        "warmup=0",
        "progress=false",
        "-m",
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "1 job(s) failed: job 0" in result.stderr
    df = hpexp.load_results(tmp_path / "results")
    by_url = {url: set(rows.status) for url, rows in df.groupby("workload.url")}
    assert by_url == {closed_url: {"error"}, server.url: {"ok"}}
    assert df[df.status == "error"].error.str.contains("ClientConnectorError").all()


def test_the_server_refuses_bad_delays_with_400(server):
    for delay in ("-5", "1.5", "abc"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.url}/add?name=x&delay={delay}", timeout=5)
        assert refused.value.code == 400
        assert f"non-negative integer number of milliseconds, got '{delay}'" in (
            refused.value.read().decode()
        )
    with urllib.request.urlopen(f"{server.url}/add?name=x&delay=0&qwertyuiop", timeout=5) as ok:
        assert ok.read() == b"added x after 0 ms\n"


def test_server_runs_standalone_on_a_free_port_and_stops_on_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-m", "hpexp.server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        with urllib.request.urlopen(f"{line.split()[-1]}/add?delay=1", timeout=5) as response:
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stderr.read() == ""
    finally:
        process.kill()
        process.communicate(timeout=10)


def test_the_server_refuses_a_port_in_use_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "hpexp.server", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"hpexp.server: cannot listen on 127.0.0.1:{port}: ")
    assert result.stderr.endswith("address already in use\n")
    assert len(result.stderr.splitlines()) == 1


def test_the_embedded_server_dies_with_a_killed_parent():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from hpexp.workloads.crawl.server_process import ServerProcess; "
            "s = ServerProcess(); print(s.process.pid, flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    server = None
    try:
        server = psutil.Process(int(parent.stdout.readline()))
        parent.kill()
        parent.wait(timeout=10)
        server.wait(timeout=10)  # raises TimeoutExpired if it outlives its parent
    finally:
        parent.kill()
        parent.communicate(timeout=10)
        if server is not None and server.is_running():
            server.kill()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("workload.delay_ms=-1", "invalid value for 'workload.delay_ms': -1 (allowed: an integer"),
        ("workload.requests=0", "invalid value for 'workload.requests': 0 (allowed: an integer"),
        ("workload.url=ftp://x", "invalid value for 'workload.url': 'ftp://x' (allowed: null"),
        ("workload.timeout_s=0", "invalid value for 'workload.timeout_s': 0 (allowed: a num"),
    ],
)
def test_bad_crawl_config_is_refused_before_anything_starts(tmp_path, override, message):
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        hpexp.run("workload=crawl", override, f"results_dir={tmp_path}")
    assert files_under(tmp_path) == [], "refused before anything starts or is written"


@pytest.mark.parametrize(
    ("preset", "values", "sweep"),
    [
        (
            "crawl_ch8",
            {"workload.requests": 1000, "workload.delay_ms": 100, "workers": 100},
            {"executor": "serial,gevent,tornado,asyncio"},
        ),
        (
            "crawl_sweep",
            {"workload.requests": 500, "executor._target_": ASYNCIO},
            {"workload.delay_ms": "50,300,550,800", "workers": "range(1,477,25)"},
        ),
        (
            "crawl_sweep_quick",
            {"workload.requests": 150, "executor._target_": ASYNCIO},
            {"workload.delay_ms": "20,50,80", "workers": "range(1,102,25)"},
        ),
    ],
)
def test_presets_compose_to_the_book_runs(preset, values, sweep):
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from hpexp.api.launch import conf_dir

    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        cfg = compose(
            config_name="config", overrides=[f"+experiment={preset}"], return_hydra_config=True
        )
    assert cfg.workload._target_ == "hpexp.workloads.crawl.workload.Crawl"
    for key, value in values.items():
        assert OmegaConf.select(cfg, key) == value
    assert dict(cfg.hydra.sweeper.params) == sweep


def test_the_ch8_preset_runs_every_executor_it_names(tmp_path, server):
    result = run_cli(
        "+experiment=crawl_ch8",
        f"workload.url={server.url}",
        "workload.requests=6",
        "workload.delay_ms=20",
        "workers=3",
        "repeats=1",
        "warmup=0",
        "progress=false",
        "-m",
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    df = hpexp.load_results(tmp_path / "results")
    assert sorted(df.executor) == ["asyncio", "gevent", "serial", "tornado"]
    assert (df.status == "ok").all()
    assert (df.ok_requests == 6).all()
