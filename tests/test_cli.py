"""The real command line in subprocesses: the headline sweep, the default run, and bad input."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import hpexp
from tests.conftest import files_under, run_cli

SMALL = ["workload.samples=200000", "repeats=2", "warmup=1"]


def test_headline_sweep_end_to_end(tmp_path):
    result = run_cli("workload=pi", "executor=pool", "workers=1,2,4,8", *SMALL, "-m", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # stdout carries only hpexp's summary: one header and one line per job, then the verdict
    *lines, said = result.stdout.strip().splitlines()
    assert said.startswith("hpexp: pi: Fastest: pool, ")
    assert lines[0].split()[:4] == ["job", "workload", "executor", "workers"]
    assert [line.split()[3] for line in lines[1:]] == ["1", "2", "4", "8"]

    df = hpexp.load_results(tmp_path / "results")
    assert len(df) == 8
    assert (df["status"] == "ok").all()
    assert df["workload"].dtype == "category"
    assert df["executor"].dtype == "category"
    assert sorted(df["workers"].unique()) == [1, 2, 4, 8]
    assert df["sweep_id"].nunique() == 1
    assert df["sweep_id"].iloc[0].startswith("sweeps/")
    medians = df.groupby(["executor", "workers"], observed=True).wall_s.median()
    assert len(medians) == 4

    (sweep_dir,) = (tmp_path / "results" / "sweeps").glob("*/*")
    combined = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert len(combined) == 8
    # loading the sweep dir or a job dir reads each row once
    assert len(hpexp.load_results(sweep_dir)) == 8
    assert len(hpexp.load_results(sweep_dir / "2")) == 2
    # one numbering: the line that starts job 3 names the dir and the rows' job 3
    (started,) = [x for x in result.stderr.splitlines() if x.startswith("hpexp: job 3 (4 of 4): ")]
    assert "workers=8" in started
    assert set(df.loc[df["workers"] == 8, "job"]) == {3}


def test_no_arguments_runs_a_quick_default(tmp_path):
    result = run_cli(cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    df = hpexp.load_results(tmp_path / "results")
    assert len(df) == 5
    assert set(df["executor"]) == {"serial"}
    assert df["sweep_id"].iloc[0].startswith("runs/")
    assert "serial" in result.stdout
    assert "repeat 5/5" in result.stderr, "a run over two seconds reports progress"
    lines = result.stderr.splitlines()
    assert lines[0] == "hpexp: run (defaults): 1 warmup + 5 measured runs", "said at once"
    (job_file,) = (tmp_path / "results" / "runs").glob("*/*/results.parquet")
    assert lines[-1] == f"hpexp: 5 rows in {job_file}", "a single run says where it wrote"


def test_console_script_is_the_same_program(tmp_path):
    import shutil

    script = shutil.which("hpexp") or str(Path(sys.executable).parent / "hpexp")
    result = subprocess.run(
        [script, "executor=threads", "workers=2", *SMALL],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(hpexp.load_results(tmp_path / "results")) == 2


BAD_INPUTS = [
    (
        ["executor=nope"],
        "unknown executor 'nope' (available: asyncio, dask, gevent, interpreter, joblib, "
        "mp_dummy, mp_pipe, mp_pool, mp_queue, pool, serial, threads, tornado, uvloop)",
    ),
    (
        ["workload=nope"],
        "unknown workload 'nope' (available: counter, crawl, diffusion, eventloop, hashsave, "
        "julia, pi, prime_check, primes, shared_array)",
    ),
    (["workers=0"], "invalid value for 'workers': 0 (allowed: an integer from 1 to 65536)"),
    (["workers=abc"], "invalid value for 'workers': 'abc' (allowed: an integer)"),
    (["workers=2.5"], "invalid value for 'workers': 2.5 (allowed: an integer)"),
    (["repeats=0"], "invalid value for 'repeats': 0 (allowed: an integer >= 1)"),
    (["warmup=-1"], "invalid value for 'warmup': -1 (allowed: an integer >= 0)"),
    (
        ["workload.samples=-5"],
        "invalid value for 'workload.samples': -5 (allowed: an integer >= 1)",
    ),
    (
        ["workload.impl=fortran"],
        "invalid value for 'workload.impl': 'fortran' "
        "(allowed: python | python_uniform | numpy | numba | cython | ctypes | cffi_abi | "
        "cffi_api | cext)",
    ),
    (["worker=2"], "unknown key 'worker' (did you mean 'workers'?"),
    (["samples=5"], "unknown key 'samples' (did you mean 'workload.samples'? allowed: executor,"),
    (["+samples=5"], "unknown key 'samples' (did you mean 'workload.samples'? allowed: executor,"),
    (
        ["executor=pool", "chunksize=2"],
        "unknown key 'chunksize' (did you mean 'executor.chunksize'?",
    ),
    (["executor=thread"], "unknown executor 'thread' (did you mean 'threads'? available: asyncio,"),
    (["workload.sample=5"], "unknown key 'workload.sample' (did you mean 'samples'?"),
    (
        ["executor=pool", "executor.start_method=bogus"],
        "invalid value for 'executor.start_method': 'bogus' (allowed: fork | spawn | forkserver)",
    ),
    (
        ["executor=joblib", "executor.backend=nope"],
        "invalid value for 'executor.backend': 'nope' (allowed: loky | threading | multiprocessing",
    ),
    (["progress=maybe"], "invalid value for 'progress': 'maybe' (allowed: true | false)"),
    (["workers=[1"], "cannot parse override 'workers=[1'"),
    (
        ["trial_timeout_s=0"],
        "invalid value for 'trial_timeout_s': 0.0 (allowed: a number of seconds > 0)",
    ),
    (
        ["trial_timeout_s=1e10"],
        "invalid value for 'trial_timeout_s': 10000000000.0 (allowed: a number of seconds up to "
        "1000000 (11 days))",
    ),
    (
        ["workload.samples=99999999999999999999999"],
        "invalid value for 'workload.samples': 99999999999999999999999 "
        "(allowed: an integer from 1 to 2**63-1)",
    ),
    (
        ["executor=../../etc/passwd"],
        "invalid value for 'executor': '../../etc/passwd' "
        "(allowed: a name inside the 'executor' group (no '..', no leading '/'))",
    ),
    (
        ["+experiment=../../../../tmp/evil/trav"],
        "invalid value for 'experiment': '../../../../tmp/evil/trav' (allowed: a name inside",
    ),
    (
        ["hydra.output_subdir=/tmp/hpexp-configs"],
        "invalid value for 'hydra.output_subdir': '/tmp/hpexp-configs' "
        "(allowed: a name inside its job dir",
    ),
    (
        ["+hydra={callbacks:{x:{_target_:builtins.open,file:/tmp/hpexp-x,mode:w}}}"],
        "'hydra' cannot be set on the command line: it names code to run",
    ),
    (
        ["hydra.launcher={_target_:os.system}"],
        "'hydra.launcher' cannot be set on the command line: it names code to run",
    ),
    (
        ["+hydra.job.env_set.LD_PRELOAD=/x.so"],
        "'hydra.job.env_set.LD_PRELOAD' cannot be set on the command line: it sets the "
        "environment of every job and its child processes",
    ),
    (
        ["executor._target_=this.Nope"],
        "invalid value for 'executor._target_': 'this.Nope' "
        "(allowed: a class of its module ('this' defines no 'Nope'))",
    ),
    (["results_dir="], "invalid value for 'results_dir': '' (allowed: a directory path"),
    (["+foo=1"], "unknown key 'foo' (allowed: executor, order, progress, "),
    (["--bogus"], "unrecognized arguments: --bogus (see python -m hpexp --help)"),
    (["~workers"], "cannot delete 'workers' (~workers): every run needs it; set it instead"),
    (
        ["~workload.samples"],
        "cannot run without 'workload.samples': MonteCarloPi needs it (set workload.samples=VALUE",
    ),
    (
        ["hydra.callbacks.results._target_=builtins.print"],
        "'hydra.callbacks.results._target_' cannot be set on the command line: it names code",
    ),
    (
        ["+hydra.job_logging.handlers.x.class=logging.FileHandler"],
        "'hydra.job_logging.handlers.x.class' cannot be set on the command line: it names code",
    ),
    (["workers=1,2"], "'workers=1,2' is a sweep: add -m to run one job per value"),
    (["experiment=pi_ch9"], "'experiment' has no default to override: add it with +experiment="),
    (
        ["executor=pool", "executor.start_method=[1]"],
        "invalid value for 'executor.start_method': [1] (allowed: fork | spawn | forkserver)",
    ),
    (
        ["workload=prime_check", "workload.numbers=abc"],
        "invalid value for 'workload.numbers': 'abc' (allowed: a non-empty list of integers >= 0)",
    ),
    (
        ["workload=crawl", "workload.url=http://"],
        "invalid value for 'workload.url': 'http://' (allowed: null (the embedded server)",
    ),
    (
        ["workload=crawl", "workload.url=http://127.0.0.1:99999"],
        "invalid value for 'workload.url': 'http://127.0.0.1:99999' (allowed: null",
    ),
    (
        ["executor=dask", "executor.address=tcp://999.1.1.1:1"],
        "invalid value for 'executor.address': 'tcp://999.1.1.1:1' "
        "(allowed: null | tcp://HOST:PORT)",
    ),
    (
        ["workload=shared_array", "workload.size=9223372036854775807"],
        "invalid value for 'workload.size': 9223372036854775807 (allowed: an integer from 1 to ",
    ),
    (
        ["workload.chunks=1000000000"],
        "invalid value for 'workload.chunks': 1000000000 (allowed: an integer from 1 to 10000000)",
    ),
    (
        ["workers=10000000"],
        "invalid value for 'workers': 10000000 (allowed: an integer from 1 to 65536)",
    ),
    (["report=2"], "invalid value for 'report': '2' (allowed: true | false)"),
    (["resume=yes", "-m"], "invalid value for 'resume': 'yes' (allowed: true | false)"),
    (
        ["workers=${nonexistent}"],
        "invalid value for 'workers': '${nonexistent}' (allowed: a plain value (put an "
        "interpolation in a config file))",
    ),
    (
        ["executor=null"],
        "invalid value for 'executor': 'null' (allowed: the name of a config in the 'executor' "
        "group)",
    ),
    (
        ["workload=crawl", "workload.url=not-a-url"],
        "invalid value for 'workload.url': 'not-a-url' "
        "(allowed: null (the embedded server) | a base URL like http://host:port)",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS, ids=[a[0][-1] for a in BAD_INPUTS])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    result = run_cli(*args, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith(f"hpexp: {message}")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert sorted(tmp_path.iterdir()) == [], "not even an empty results dir"


def test_a_broken_yaml_in_a_config_dir_is_one_line_naming_the_file(tmp_path):
    (tmp_path / "mine" / "executor").mkdir(parents=True)
    broken = tmp_path / "mine" / "executor" / "broken.yaml"
    broken.write_text("method: [map\nchunksize: 1\n")
    result = run_cli("--config-dir", str(tmp_path / "mine"), "executor=broken", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"hpexp: cannot read config file '{broken}': ")
    assert result.stderr.strip().endswith("(line 2, column 10)")
    assert len(result.stderr.strip().splitlines()) == 1


def test_overrides_may_come_after_the_flags(tmp_path):
    result = run_cli(
        "workload.samples=1000", "-m", "repeats=1", "warmup=0", "report=false", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert len(hpexp.load_results(tmp_path / "results")) == 1


def test_a_refused_job_in_a_sweep_keeps_the_valid_jobs(tmp_path):
    result = run_cli("executor=threads", "workers=2,0", *SMALL, "-m", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "hpexp: invalid value for 'workers': 0 (allowed: an integer from 1 to 65536)"
    )
    df = hpexp.load_results(tmp_path / "results")
    assert list(df["workers"].unique()) == [2]


def test_full_error_env_shows_the_traceback(tmp_path):
    result = run_cli("workers=0", *SMALL, cwd=tmp_path, env={"HYDRA_FULL_ERROR": "1"})
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "hpexp.core.errors.ConfigError: invalid value for 'workers': 0 "
        "(allowed: an integer from 1 to 65536)"
    )


def test_progress_lines_only_when_asked(tmp_path):
    # four runs of 0.8 s sleeps (no CPU): past the two quiet seconds after which progress shows
    plugin = Path(__file__).parent / "plugin_example"
    slow = [f"hydra.searchpath=[file://{plugin / 'conf'}]", "workload=faulty"]
    slow += ["workload.tasks=1", "workload.sleep_s=0.8", "repeats=3", "warmup=1"]
    env = {"PYTHONPATH": str(plugin)}
    shown = run_cli(*slow, cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    progress = [line for line in shown.stderr.splitlines() if " elapsed" in line]
    assert progress[-1].startswith("hpexp: run repeat 3/3, "), progress
    assert progress[-1].endswith(" s elapsed"), "nothing is left after the last run"
    assert all(re.search(r"elapsed, about \d+ s left$", line) for line in progress[:-1])
    assert len(progress) >= 2, "the warmup counts: four runs of 0.8 s each"
    quiet = run_cli(*slow, "progress=false", cwd=tmp_path, env=env)
    assert quiet.returncode == 0, quiet.stderr
    assert "repeat" not in quiet.stderr


def test_results_dir_can_be_moved(tmp_path):
    result = run_cli("results_dir=elsewhere/out", *SMALL, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(hpexp.load_results(tmp_path / "elsewhere" / "out")) == 2
    assert not (tmp_path / "results").exists()


def test_a_value_is_data_never_a_call(tmp_path):
    """A nested ``_target_`` typed on the command line is never instantiated."""
    victim = tmp_path / "victim"
    victim.write_text("kept")
    node = f"{{_target_:builtins.open,file:{victim},mode:w}}"
    result = run_cli("executor=joblib", f"executor.batch_size={node}", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("hpexp: invalid value for 'executor.batch_size': {")
    assert "(allowed: null | auto | an integer >= 1)" in result.stderr
    assert victim.read_text() == "kept", "open(..., mode='w') was never called"
    called = run_cli("executor._target_=builtins.open", cwd=tmp_path)
    assert called.returncode == 2
    assert called.stderr == (
        "hpexp: invalid value for 'executor._target_': 'builtins.open' "
        "(allowed: a subclass of Executor)\n"
    )


def test_help_is_hpexps_own_and_lists_what_there_is_to_run(tmp_path):
    from hpexp.api.launch import conf_dir

    shown = run_cli("--help", cwd=tmp_path, timeout=60)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    for group in ("workload", "executor", "experiment"):
        for option in sorted((conf_dir() / group).glob("*.yaml")):
            (line,) = [x for x in text.splitlines() if x.startswith(f"  {option.stem} ")]
            assert len(line) <= 100, line
            assert len(line.split(maxsplit=1)[1]) > 20, f"{option.stem} has a description"
    assert "schema" not in text, "internal schema groups are not options"
    assert "+experiment=NAME -m" in text, "presets need the +"
    usages = ["python -m hpexp.report PATH", "--compare A B", "--fail-slower", "-sc install=bash"]
    for usage in [*usages, "hydra/launcher=joblib", "-m"]:
        assert usage in text
    assert files_under(tmp_path) == [], "help runs nothing"
    hydra = run_cli("--hydra-help", cwd=tmp_path, timeout=60)
    assert hydra.returncode == 0
    assert "Hydra" in hydra.stdout, "Hydra's own help stays reachable"
