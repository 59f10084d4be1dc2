"""The wheel carries every built-in config, so a non-editable install runs from any directory,
and chapter 7's compiled kernels."""

import os
import pkgutil
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import hpexp
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """This checkout built as a wheel, once for the module (it compiles both kernels)."""
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = wheels.glob("hpexp-*.whl")
    return built


def test_wheel_ships_every_config_and_the_compiled_kernels(wheel):
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("hpexp/conf/")}
    expected = {
        f"hpexp/conf/{p.relative_to(ROOT / 'conf').as_posix()}"
        for p in (ROOT / "conf").rglob("*.yaml")
    }
    assert expected
    assert shipped == expected
    compiled = sorted(
        Path(name).name
        for name in zipfile.ZipFile(wheel).namelist()
        if name.startswith("hpexp/workloads/kernels/") and ".so" in name
    )
    modules = ("_cext", "_cffi_api", "_cython", "_cython_openmp", "_fortran")
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if shutil.which("gfortran") is None:  # f2py's route needs a Fortran compiler
        modules = tuple(m for m in modules if m != "_fortran")
    assert compiled == [*(f"{module}{suffix}" for module in modules), "libhpexp_kernels.so.1"]


def test_the_c_library_is_no_module_to_those_that_walk_packages():
    """A plain library named like an extension module made ``import ..._c`` fail, and pkgutil,
    pydoc and sphinx trip on it."""
    import hpexp.workloads.kernels as kernels

    names = {module.name for module in pkgutil.iter_modules(kernels.__path__)}
    assert {"_cython", "_cext", "_cffi_api", "_cython_openmp"} <= names
    assert not {n for n in names if "kernels" in n or n == "_c"}, names


def test_a_non_editable_install_runs_from_any_directory(wheel, tmp_path):
    """The wheel carries its configs: run from a directory that holds no ``conf/``."""
    target, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run([*pip, "install", "--no-deps", "--target", target, wheel], check=True)
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(target)}  # ahead of the editable install of this checkout
    where = subprocess.run(
        [sys.executable, "-c", "import hpexp.cli.app as a; print(a.__file__, a.conf_dir())"],
        cwd=elsewhere,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert where == [str(target / "hpexp" / "cli" / "app.py"), str(target / "hpexp" / "conf")]
    small = ["workload.samples=200000", "repeats=2", "warmup=1"]
    result = run_cli(*small, cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    assert len(hpexp.load_results(elsewhere / "results")) == 2
