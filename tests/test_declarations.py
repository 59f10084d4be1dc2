"""Each parameter is declared once: its name and type in the class's signature, its range in
the class, its default in its YAML; and a workload a user adds (one module, one YAML) runs
through the command line, the API, the checks and the report with nothing else touched."""

import inspect
import textwrap

import pytest
from hydra._internal.utils import _locate
from omegaconf import OmegaConf

import hpexp
from hpexp.api.launch import conf_dir
from tests.conftest import files_under, run_cli

CONFIGS = sorted((conf_dir() / "workload").glob("*.yaml")) + sorted(
    (conf_dir() / "executor").glob("*.yaml")
)
#: given by hpexp itself, never by a group's YAML
FROM_HPEXP = {"self", "workers"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_yaml_gives_every_parameter_and_the_class_no_default(path):
    values = OmegaConf.to_container(OmegaConf.load(path))
    if "defaults" in values:  # a variant of another option of its group (uvloop = asyncio)
        (base,) = [d for d in values.pop("defaults") if d != "_self_"]
        values = {**OmegaConf.to_container(OmegaConf.load(path.parent / f"{base}.yaml")), **values}
    cls = _locate(values.pop("_target_"))
    parameters = {
        name: p for name, p in inspect.signature(cls.__init__).parameters.items()
        if name not in FROM_HPEXP
    }  # fmt: skip
    assert set(values) == set(parameters), "the YAML names every parameter, and no other"
    assert all(p.annotation is not inspect.Parameter.empty for p in parameters.values())
    defaulted = [name for name, p in parameters.items() if p.default is not inspect.Parameter.empty]
    assert not defaulted, "a default is written once, in the YAML"


def test_a_value_is_checked_against_its_declared_type_where_the_class_does_not_check_it():
    with pytest.raises(hpexp.ConfigError) as refused:
        hpexp.workload("counter", locked="yes")
    assert (
        str(refused.value) == "invalid value for 'workload.locked': 'yes' (allowed: true | false)"
    )
    with pytest.raises(hpexp.ConfigError) as unknown:
        hpexp.workload("pi", sample=5)
    assert str(unknown.value) == "unknown key 'workload.sample' (allowed: chunks, impl, samples)"


#: a user's own workload: one module and one YAML in their project, nothing of hpexp's touched
SQUARES = '''
"""Squares of the first n numbers, each task a number: a workload of the user's own."""

from hpexp import Outcome, Workload
from hpexp.core.errors import require_int


class Squares(Workload):
    def __init__(self, numbers: int, offset: float) -> None:
        self.numbers = require_int("numbers", numbers, 1)
        self.offset = offset

    def tasks(self, workers, seed):
        return list(range(self.numbers))

    def run(self, task):
        return task * task + self.offset

    def reduce(self, results):
        expected = sum(n * n for n in range(self.numbers)) + self.offset * self.numbers
        error = None if sum(results) == expected else "wrong sum"
        return Outcome(metrics={"sum": sum(results)}, units=len(results), error=error)
'''
SQUARES_YAML = """
# Squares of the first n numbers.
_target_: squares.Squares
numbers: 2000  # how many numbers
offset: 0.5    # added to every square
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "squares.py").write_text(textwrap.dedent(SQUARES))
    (tmp_path / "conf" / "workload").mkdir(parents=True)
    (tmp_path / "conf" / "workload" / "squares.yaml").write_text(SQUARES_YAML)
    return tmp_path


def test_a_users_workload_runs_through_the_cli_the_api_the_checks_and_the_report(
    project, monkeypatch
):
    user = [f"--config-dir={project / 'conf'}", "workload=squares", "repeats=2", "warmup=0"]
    cli = run_cli(*user, "executor=serial,pool", "workers=1,2", "-m", cwd=project)
    assert cli.returncode == 0, cli.stderr
    swept = hpexp.load_results(project / "results")
    assert set(swept["workload"]) == {"squares"}
    assert (swept["status"] == "ok").all()
    assert (swept["workload.numbers"] == 2000).all()
    assert (swept["workload.offset"] == 0.5).all()
    assert "Fastest: " in cli.stdout
    (report,) = (project / "results" / "sweeps").glob("*/*/report/index.html")
    page = report.read_text()
    assert "squares" in page
    assert [name for name in files_under(report.parent) if name.endswith(".png")]

    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))
    frame = hpexp.run("workload=squares", "workload.numbers=10", "repeats=1", config_dir="conf")
    assert list(frame["status"]) == ["ok"]
    assert frame["sum"].iloc[0] == sum(n * n for n in range(10)) + 5.0
    with pytest.raises(hpexp.ConfigError) as wrong:
        hpexp.run("workload=squares", "workload.offset=big", config_dir="conf")
    assert str(wrong.value) == "invalid value for 'workload.offset': 'big' (allowed: a number)"
    refused = run_cli(*user, "workload.numbers=0", cwd=project)
    assert refused.stderr == (
        "hpexp: invalid value for 'workload.numbers': 0 (allowed: an integer >= 1)\n"
    )
