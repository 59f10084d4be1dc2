"""A ``_target_``'s module is read before it is imported: only a plugin module's code runs."""

import sys

import pytest

from hpexp.api.targets import NotAPlugin, check_plugin_module
from tests.conftest import run_cli

RUNS_AT_IMPORT = "import pathlib\npathlib.Path('ran').write_text('imported')\n"


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """A dir of modules on sys.path; none of them may be imported by the checks."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    before = set(sys.modules)
    yield tmp_path
    assert not (tmp_path / "ran").exists(), "a module's code ran during the check"
    assert not {m for m in set(sys.modules) - before if m.startswith(("plain", "pkg", "deep"))}


def test_a_module_that_does_not_import_hpexp_is_refused_unread(modules):
    (modules / "plain.py").write_text(RUNS_AT_IMPORT + "class X:\n    pass\n")
    with pytest.raises(NotAPlugin, match="'plain' does not: it is not imported"):
        check_plugin_module("plain.X")


def test_a_module_without_the_class_is_refused(modules):
    (modules / "plain.py").write_text(RUNS_AT_IMPORT + "from hpexp import Workload\n")
    with pytest.raises(NotAPlugin, match=r"'plain' defines no 'X'"):
        check_plugin_module("plain.X")


def test_a_module_that_does_not_parse_is_refused_unrun(modules):
    (modules / "plain.py").write_text(RUNS_AT_IMPORT + "class X(:\n")
    unparsable = r"an importable class \(invalid syntax: .*plain\.py, line 3\)"
    with pytest.raises(NotAPlugin, match=unparsable):
        check_plugin_module("plain.X")
    with pytest.raises(NotAPlugin, match="no module named"):
        check_plugin_module("a..b.X")


def test_a_missing_module_and_a_bare_name_are_refused(modules):
    with pytest.raises(NotAPlugin, match="no module named 'nowhere_at_all'"):
        check_plugin_module("nowhere_at_all.X")
    with pytest.raises(NotAPlugin, match=r"a class path: module\.Class"):
        check_plugin_module("json")


def test_a_plugin_module_and_a_package_that_reexports_it_pass(modules):
    (modules / "pkg").mkdir()
    (modules / "pkg" / "__init__.py").write_text(RUNS_AT_IMPORT + "from .impl import Plug\n")
    (modules / "pkg" / "impl.py").write_text(
        RUNS_AT_IMPORT + "from hpexp import Workload\n\n\nclass Plug(Workload):\n    pass\n"
    )
    check_plugin_module("pkg.impl.Plug")
    check_plugin_module("pkg.Plug")


def test_a_reexport_of_a_foreign_class_is_refused(modules):
    (modules / "deep.py").write_text(RUNS_AT_IMPORT + "from plain import X\n")
    (modules / "plain.py").write_text(RUNS_AT_IMPORT + "class X:\n    pass\n")
    with pytest.raises(NotAPlugin, match="'deep' does not"):
        check_plugin_module("deep.X")


def test_an_imported_module_is_left_to_the_subclass_check(modules):
    check_plugin_module("builtins.open")
    check_plugin_module("hpexp.executors.pool.PoolExecutor")


def test_the_command_line_cannot_run_a_modules_import_code(tmp_path):
    """``venv.__main__`` makes a virtualenv in the cwd, ``this`` prints the Zen of Python, when
    imported: both are refused before that."""
    made = run_cli("workload._target_=venv.__main__.X", cwd=tmp_path)
    assert made.returncode == 2
    assert made.stderr == (
        "hpexp: invalid value for 'workload._target_': 'venv.__main__.X' "
        "(allowed: a class of its module ('venv.__main__' defines no 'X'))\n"
    )
    poem = run_cli("executor._target_=this.Nope", cwd=tmp_path)
    assert poem.returncode == 2
    assert "Zen of Python" not in poem.stdout
    (tmp_path / "marker_mod.py").write_text(RUNS_AT_IMPORT + "class X:\n    pass\n")
    foreign = run_cli("executor._target_=marker_mod.X", cwd=tmp_path)
    assert foreign.returncode == 2
    assert "('marker_mod' does not: it is not imported, its code does not run)" in foreign.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marker_mod.py"]


def test_a_subclass_of_another_modules_plugin_passes(modules):
    (modules / "pkg").mkdir()
    (modules / "pkg" / "__init__.py").write_text("")
    (modules / "pkg" / "base.py").write_text(
        RUNS_AT_IMPORT + "from hpexp import Workload\n\n\nclass Base(Workload):\n    pass\n"
    )
    (modules / "deep.py").write_text(
        RUNS_AT_IMPORT + "from pkg.base import Base\n\n\nclass Mine(Base):\n    pass\n"
    )
    check_plugin_module("deep.Mine")
    (modules / "plain.py").write_text(RUNS_AT_IMPORT + "class Base:\n    pass\n")
    (modules / "pkg" / "other.py").write_text(
        RUNS_AT_IMPORT + "from plain import Base\n\n\nclass Mine(Base):\n    pass\n"
    )
    with pytest.raises(NotAPlugin, match=r"'pkg\.other' does not"):
        check_plugin_module("pkg.other.Mine")
