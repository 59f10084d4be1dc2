"""The layers hold: each package imports only the ones below it, and what a worker process
unpickles (the core, a workload, an executor) stays light."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hpexp"
#: each package's floor; a module may import its own package and the floors below it
FLOORS = {"core": 0, "workloads": 1, "executors": 1, "results": 1, "testing": 2, "analysis": 2}
FLOORS |= {"api": 3, "cli": 4, "__init__": 5, "__main__": 5, "report": 5, "server": 5}
#: siblings on one floor that must not import each other
APART = {("workloads", "executors"), ("executors", "workloads"), ("results", "workloads")}
APART |= {("results", "executors"), ("workloads", "results"), ("executors", "results")}
#: libraries no module a worker unpickles may import (each module is checked in a fresh
#: interpreter; a module's own library, like dask for the dask executor, is allowed)
HEAVY = ("pandas", "pyarrow", "matplotlib", "scipy", "hydra", "omegaconf", "numba")
LIGHT_MODULES = [
    "hpexp",
    *(f"hpexp.core.{p.stem}" for p in sorted((PACKAGE / "core").glob("[!_]*.py"))),
    "hpexp.workloads.pi",
    "hpexp.workloads.julia",
    "hpexp.workloads.kernels",
    "hpexp.workloads.crawl.workload",
    "hpexp.workloads.hashsave.workload",
    "hpexp.workloads.eventloop.workload",
    "hpexp.workloads.primes",
    "hpexp.workloads.prime_check.workload",
    "hpexp.workloads.counter.workload",
    "hpexp.workloads.shared_array",
    *(f"hpexp.executors.{p.stem}" for p in sorted((PACKAGE / "executors").glob("[!_]*.py"))),
    "hpexp.executors.gevent_child",
]


def package_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


def hpexp_imports(path: Path) -> set[str]:
    """Every ``hpexp.*`` module a file imports, wherever in the file (lazy imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("hpexp.")}


def modules() -> list[tuple[str, Path]]:
    return [
        (".".join(("hpexp", *path.relative_to(PACKAGE).with_suffix("").parts)), path)
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def test_no_import_runs_up_a_floor_or_across_siblings():
    wrong = []
    for module, path in modules():
        here = package_of(module)
        for imported in hpexp_imports(path):
            there = package_of(imported)
            if there == here:
                continue
            if FLOORS[there] >= FLOORS[here] or (here, there) in APART:
                wrong.append(f"{module} -> {imported}")
    assert not wrong, wrong


def test_every_package_has_a_floor():
    assert {package_of(module) for module, _ in modules()} <= set(FLOORS)


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_what_a_worker_unpickles_imports_no_heavy_library(module):
    probe = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


def test_the_package_names_its_public_api_lazily():
    import hpexp

    assert {"Executor", "Outcome", "Workload", "compare", "load_results", "summarize"} <= set(
        dir(hpexp)
    )
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = hpexp.nope
