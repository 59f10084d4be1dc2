"""A user's workload and executor (own module, own config dir) run with no change to hpexp."""

import shutil
from pathlib import Path

import pytest

import hpexp
from tests.conftest import run_cli

EXAMPLE = Path(__file__).parent / "plugin_example"


@pytest.fixture
def user_project(tmp_path):
    """The example copied to a fresh directory, as a user's own project would be."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    return project


@pytest.mark.parametrize("searchpath", ["hydra", "config-dir"])
def test_user_workload_runs_on_builtin_executors(user_project, searchpath):
    where = (
        [f"hydra.searchpath=[file://{user_project / 'conf'}]"]
        if searchpath == "hydra"
        else ["--config-dir", str(user_project / "conf")]
    )
    result = run_cli(
        *where,
        "workload=sleepy",
        "executor=threads",
        "workers=1,4",
        "repeats=2",
        "-m",
        cwd=user_project,
    )
    assert result.returncode == 0, result.stderr
    df = hpexp.load_results(user_project / "results")
    assert set(df["workload"]) == {"sleepy"}
    assert df["slept_s"].tolist() == pytest.approx([0.2] * len(df))
    assert (df["workload.naps"] == 4).all()
    walls = df.groupby("workers").wall_s.median()
    assert walls[4] < walls[1] / 2, "four threads overlap four sleeps"


def test_user_executor_runs_builtin_workload(user_project):
    result = run_cli(
        f"hydra.searchpath=[file://{user_project / 'conf'}]",
        "executor=backwards",
        "workload.samples=20000",
        "workers=2",
        "repeats=2",
        cwd=user_project,
    )
    assert result.returncode == 0, result.stderr
    df = hpexp.load_results(user_project / "results")
    assert set(df["executor"]) == {"backwards"}
    assert (df["executor.order"] == "reversed").all()
    assert (df["status"] == "ok").all()


def test_user_config_with_a_typo_is_refused(user_project):
    result = run_cli(
        f"hydra.searchpath=[file://{user_project / 'conf'}]",
        "workload=sleepy",
        "workload.nap=3",
        cwd=user_project,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("hpexp: unknown key 'workload.nap' (did you mean 'naps'?")


def test_user_target_that_does_not_import_is_refused(user_project):
    result = run_cli(
        f"hydra.searchpath=[file://{user_project / 'conf'}]",
        "workload=sleepy",
        "workload._target_=sleepy.Nope",
        cwd=user_project,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("hpexp: invalid value for 'workload._target_': 'sleepy.Nope'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_workload_without_arun_on_an_event_loop_is_said_to_run_inline(user_project):
    """The README's example has no ``arun``: asyncio runs its naps one after another, and the
    row and a warning say so instead of a silent 1.00x."""
    result = run_cli(
        f"hydra.searchpath=[file://{user_project / 'conf'}]",
        "workload=sleepy",
        "executor=asyncio",
        "workers=4",
        "repeats=1",
        "warmup=0",
        cwd=user_project,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "hpexp: Sleep has no arun: on asyncio its tasks ran one at a time "
        "(give it an async def arun to overlap them)"
    ) in result.stderr.splitlines()
    (value,) = set(hpexp.load_results(user_project / "results")["executor.arun"])
    assert value == "inline"


def test_a_workload_with_arun_is_awaited(user_project):
    (user_project / "awaited.py").write_text(
        "import asyncio\n\nfrom sleepy import Sleep\n\n\n"
        "class AwaitedSleep(Sleep):\n"
        "    async def arun(self, task):\n"
        "        await asyncio.sleep(task)\n"
        "        return task\n"
    )
    result = run_cli(
        f"hydra.searchpath=[file://{user_project / 'conf'}]",
        "workload=sleepy",
        "workload._target_=awaited.AwaitedSleep",
        "executor=tornado",
        "workers=4",
        "repeats=1",
        "warmup=0",
        cwd=user_project,
    )
    assert result.returncode == 0, result.stderr
    assert "has no arun" not in result.stderr
    (value,) = set(hpexp.load_results(user_project / "results")["executor.arun"])
    assert value == "awaited"
