"""The executor contract suite (:mod:`hpexp.testing.executor_contract`) on every built-in
executor, as ``conf/executor/`` registers them, and on the plugin example's own executor."""

import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hpexp.api.build import build_plugin
from hpexp.api.launch import composed, conf_dir
from hpexp.core.executor import Executor
from hpexp.testing.executor_contract import ExecutorContract

#: the one registry of built-in executors: the options of the ``executor`` config group
BUILT_IN = sorted(path.stem for path in (conf_dir() / "executor").glob("*.yaml"))
#: runs only self-contained functions in another Python, never the suite's own workload (which
#: needs hpexp there): tests/test_interpreter.py holds it to the same promises on its own tasks
OTHER_PYTHON = "interpreter"


def from_config(name: str, workers: int) -> Executor:
    """The executor ``executor=<name>`` builds, composed from ``conf/`` as the CLI composes it
    (so a variant such as ``uvloop`` gets its base option's keys)."""
    params = OmegaConf.to_container(composed(f"executor={name}").executor)
    return build_plugin("executor", params, Executor, workers=workers)


def test_every_built_in_executor_is_here():
    assert BUILT_IN == [
        "asyncio", "dask", "gevent", "interpreter", "joblib", "mp_dummy", "mp_pipe", "mp_pool",
        "mp_queue", "pool", "serial", "threads", "tornado", "uvloop",
    ]  # fmt: skip


class TestBuiltInExecutors(ExecutorContract):
    @pytest.fixture(params=[name for name in BUILT_IN if name != OTHER_PYTHON])
    def make_executor(self, request):
        return lambda workers: from_config(request.param, workers)


class TestAUsersExecutor(ExecutorContract):
    """The plugin example's ``Reversed`` executor: a user runs the same suite on their own."""

    @pytest.fixture
    def make_executor(self, monkeypatch):
        monkeypatch.syspath_prepend(str(Path(__file__).parent / "plugin_example"))
        from sleepy import Reversed

        yield Reversed
        sys.modules.pop("sleepy", None)
