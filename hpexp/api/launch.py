"""hpexp as a library: one job (:func:`run`) or a sweep (:func:`sweep`) from Python.

Both compose the same ``conf/`` with the same overrides a user types after ``python -m
hpexp``, through Hydra in this process, and measure and write exactly what the command line
does (the command line is :func:`launch` plus printing and exit codes). Nothing here exits the
process or installs a signal handler, so they work in a notebook: Ctrl-C stops the processes
the job started, keeps the finished jobs' rows, and raises ``KeyboardInterrupt``.

    >>> import hpexp
    >>> df = hpexp.sweep("workload=pi", "executor=pool", "workers=1,2")
"""

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpexp.api.callbacks import sweep_size
from hpexp.api.elsewhere import collect_failures, launcher_of, runs_elsewhere
from hpexp.api.hydra_errors import describe_hydra_error, is_hydra_error
from hpexp.api.job import JobFunction
from hpexp.api.outcome import RunReport
from hpexp.api.overrides import check_overrides
from hpexp.api.resume import earlier_sweep_dir
from hpexp.api.rounds import check_sweep_shape, plan_of
from hpexp.core.errors import ConfigError, HpexpError, Refused
from hpexp.core.interrupts import Terminated, handled

if TYPE_CHECKING:
    import pandas as pd
    from hydra._internal.hydra import Hydra
    from omegaconf import DictConfig

    from hpexp.core.executor import Executor
    from hpexp.core.workload import Workload

CONFIG_NAME = "config"


def conf_dir() -> Path:
    """The built-in configs: shipped inside the wheel, or the checkout's top-level ``conf/``."""
    package = Path(__file__).parent.parent
    packaged = package / "conf"
    return packaged if packaged.is_dir() else package.parent / "conf"


class SweepStopped(HpexpError):
    """Hydra could not write a job's files (a full disk): the sweep stops, what finished is
    kept, and resume runs the rest (a job on a full disk could not store its rows either)."""

    def __init__(self, sweep_dir: Path, exc: OSError) -> None:
        super().__init__(
            f"the sweep stopped: cannot write in '{sweep_dir}' ({exc.strerror or exc}); the jobs "
            "that finished kept their results; make room, then run the same command with "
            "resume=true for the rest"
        )


class SweepDirInUse(HpexpError):
    """A sweep dir that another hpexp process holds: refused before Hydra writes there."""

    exit_code = ConfigError.exit_code

    def __init__(self, sweep_dir: Path) -> None:
        super().__init__(
            f"sweep dir '{sweep_dir}' is in use by another hpexp sweep; wait for it to "
            "finish, or choose another hydra.sweep.dir"
        )


def run(*overrides: str, config_dir: str | os.PathLike[str] | None = None) -> "pd.DataFrame":
    """One job, as ``python -m hpexp OVERRIDES``: its rows, also written under ``results_dir``.

    A refused value raises :class:`~hpexp.core.errors.ConfigError` with the command line's
    one-line message; a run that failed is rows whose ``status`` says so.
    """
    return _rows(launch(list(overrides), False, RunReport(), config_dir))


def sweep(*overrides: str, config_dir: str | os.PathLike[str] | None = None) -> "pd.DataFrame":
    """A sweep, as ``python -m hpexp OVERRIDES -m``: every job's rows, combined.

    The combined file and the report are written in the sweep dir as the command line writes
    them. A refused job raises :class:`~hpexp.core.errors.ConfigError` after the other jobs ran
    (their rows are on disk: ``hpexp.load_results(results_dir)``).
    """
    return _rows(launch(list(overrides), True, RunReport(), config_dir))


def composed(*overrides: str, config_dir: str | os.PathLike[str] | None = None) -> "DictConfig":
    """The config a job with these overrides would run with, composed and type-checked by
    Hydra (its values not yet checked by the classes that take them), without running it."""
    from hydra.types import RunMode

    with _worded_hydra_errors(), _hydra(config_dir) as hydra:
        return hydra.compose_config(
            CONFIG_NAME, list(overrides), run_mode=RunMode.RUN, with_log_configuration=False
        )


def workload(
    name: str, /, *, config_dir: str | os.PathLike[str] | None = None, **values: Any
) -> "Workload":
    """The workload ``workload=name`` runs: its YAML's values with ``values`` over them,
    checked as a job checks them (a ConfigError names the key)."""
    from hpexp.core.workload import Workload

    return _plugin("workload", name, Workload, values, config_dir)


def executor(
    name: str,
    /,
    workers: int = 1,
    *,
    config_dir: str | os.PathLike[str] | None = None,
    **values: Any,
) -> "Executor":
    """The executor ``executor=name`` runs with ``workers``: its YAML's values with ``values``
    over them, checked as a job checks them. Not started: use it as a context manager."""
    from hpexp.core.executor import Executor

    return _plugin("executor", name, Executor, values, config_dir, workers=workers)


def _plugin(
    group: str,
    name: str,
    base: type,
    values: dict[str, Any],
    config_dir: str | os.PathLike[str] | None,
    **given: Any,
) -> Any:
    from omegaconf import OmegaConf

    from hpexp.api.build import build_plugin

    node = composed(f"{group}={name}", config_dir=config_dir)[group]
    params = OmegaConf.to_container(node, resolve=True)
    assert isinstance(params, dict)
    return build_plugin(group, {**params, **values}, base, **given)


def _rows(report: RunReport) -> "pd.DataFrame":
    report.raise_first_error()
    if report.frame is None:
        from hpexp.results.store import empty_frame

        return empty_frame()
    return report.frame


def launch(
    overrides: Sequence[str],
    multirun: bool,
    report: RunReport,
    config_dir: str | os.PathLike[str] | None = None,
) -> RunReport:
    """Run the job or sweep; what it measured and what went wrong go to ``report``, the
    caller's, which keeps the finished jobs' rows even when an interrupt stops the sweep.

    Raises only for what stops everything: a refused command line, an interrupt, a Hydra
    composition error (Hydra's own exception, raised as a
    :class:`~hpexp.core.errors.ConfigError` with its one-line wording).
    """
    overrides = list(overrides)
    check_overrides(overrides)
    with _worded_hydra_errors(), _hydra(config_dir) as hydra:
        if multirun:
            _sweep(hydra, overrides, report)
        else:
            _run(hydra, overrides, report)
    return report


@contextmanager
def _worded_hydra_errors() -> Iterator[None]:
    """Hydra's and OmegaConf's errors raised as one-line ConfigErrors (Hydra's own with
    ``HYDRA_FULL_ERROR=1``)."""
    try:
        yield
    except Exception as exc:
        if not is_hydra_error(exc) or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        raise Refused("", describe_hydra_error(exc)) from exc


@contextmanager
def _hydra(config_dir: str | os.PathLike[str] | None) -> Iterator["Hydra"]:
    """Hydra for this call, on hpexp's configs (and ``config_dir``'s, searched first)."""
    from hydra import version
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import SearchPathException

    from hpexp.api.schema import register_schemas

    version.setbase("1.3")  # what hpexp's configs are written for, as @hydra.main says it
    register_schemas()
    search_path = create_config_search_path(str(conf_dir()))
    if config_dir is not None:
        extra = Path(config_dir).absolute()
        if not extra.is_dir():
            raise SearchPathException(f"Additional config directory '{extra}' not found")
        search_path.prepend(
            provider="command-line", path=f"file://{extra}", anchor=SearchPathQuery("schema")
        )
    GlobalHydra.instance().clear()
    hydra = Hydra.create_main_hydra2(task_name="hpexp", config_search_path=search_path)
    try:
        yield hydra
    finally:
        GlobalHydra.instance().clear()


def _run(hydra: "Hydra", overrides: list[str], report: RunReport) -> None:
    """``Hydra.run``, with the config composed here first: the results root is seen before
    Hydra makes the job's dir in it, so a refused job leaves no root it created."""
    from hydra._internal.callbacks import Callbacks
    from hydra.core.utils import run_job
    from hydra.types import HydraContext, RunMode

    from hpexp.results.layout import JOB_FILE

    cfg = hydra.compose_config(CONFIG_NAME, [*overrides, "hydra.mode=RUN"], run_mode=RunMode.RUN)
    with _root_removed_unless_used(Path(cfg.results_dir)):
        callbacks = Callbacks(cfg)
        callbacks.on_run_start(config=cfg, config_name=CONFIG_NAME)
        context = HydraContext(config_loader=hydra.config_loader, callbacks=callbacks)
        done = run_job(
            hydra_context=context,
            task_function=JobFunction(report),
            config=cfg,
            job_dir_key="hydra.run.dir",
            job_subdir_key=None,
        )
        callbacks.on_run_end(config=cfg, config_name=CONFIG_NAME, job_return=done)
    frame = done.return_value
    if frame is None:
        return
    report.record_failures(frame)
    report.frame, report.path = frame, Path(done.hydra_cfg.hydra.runtime.output_dir) / JOB_FILE
    print(f"hpexp: {len(frame)} rows in {report.path}", file=sys.stderr)


@contextmanager
def _root_removed_unless_used(root: Path) -> Iterator[None]:
    """Remove the results root afterwards if this call created it and left it empty (a
    refused job's dirs are removed up to the root, never the root a user already had)."""
    existed = root.exists()
    try:
        yield
    finally:
        if not existed and root.is_dir() and not any(root.iterdir()):
            root.rmdir()


def _quoted(value: str) -> str:
    """``value`` as a quoted value of Hydra's override grammar."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sweep(hydra: "Hydra", overrides: list[str], report: RunReport) -> None:
    """The sweep, with its dir held for it; the finished jobs summarised even after Ctrl-C."""
    from hydra.types import RunMode

    overrides = [*overrides, "hydra.mode=MULTIRUN"]
    config = hydra.compose_config(
        CONFIG_NAME, overrides, run_mode=RunMode.MULTIRUN, with_log_configuration=False
    )
    check_sweep_shape(overrides)
    plan_of(config)
    sweep_dir = earlier_sweep_dir(overrides, config) or Path(config.hydra.sweep.dir)
    # pinned: a second composition would read ${now:...} again
    overrides.append(f"hydra.sweep.dir={_quoted(sweep_dir.as_posix())}")
    with _root_removed_unless_used(Path(config.results_dir)):
        _locked_sweep(hydra, config, overrides, sweep_dir, report)


def _locked_sweep(
    hydra: "Hydra", config: "DictConfig", overrides: list[str], sweep_dir: Path, report: RunReport
) -> None:
    """Hydra's multirun on a held sweep dir; what finished is combined even after Ctrl-C."""
    lock = _locked(sweep_dir)
    try:
        hydra.multirun(CONFIG_NAME, JobFunction(report), overrides)
    except (KeyboardInterrupt, Terminated):
        handled()
        _finish_stopped_sweep(config, sweep_dir, report)
        raise
    except OSError as exc:
        _finish_stopped_sweep(config, sweep_dir, report)
        raise SweepStopped(sweep_dir, exc) from exc
    else:
        _finish_sweep(config, sweep_dir, report)
    finally:
        lock.release()


def _finish_stopped_sweep(config: "DictConfig", sweep_dir: Path, report: RunReport) -> None:
    """The finished jobs of a sweep that stopped, summarised if that can still be done: the
    reason it stopped is the line that matters."""
    try:
        _finish_sweep(config, sweep_dir, report)
    except Exception as error:
        print(f"hpexp: warning: the finished jobs were not summarised: {error!r}", file=sys.stderr)


def _locked(sweep_dir: Path) -> Any:
    """Hold ``sweep_dir`` for this process, or refuse when another process holds it.

    Two sweeps on one dir (the same ``hydra.sweep.dir``, or ``resume=true`` started twice)
    would both run every job and overwrite each other's files. The lock is the kernel's
    (``fcntl``): a killed sweep releases it, so resume after a crash is never locked out.
    """
    import fasteners

    from hpexp.results.layout import LOCK_FILE

    sweep_dir.mkdir(parents=True, exist_ok=True)
    lock = fasteners.InterProcessLock(sweep_dir / LOCK_FILE)
    if not lock.acquire(blocking=False):
        raise SweepDirInUse(sweep_dir)
    return lock


def _finish_sweep(config: "DictConfig", sweep_dir: Path, report: RunReport) -> None:
    """The sweep's combined file, and its report, from the jobs in its dir: at the end of a
    sweep, and after an interrupt for the jobs that finished."""
    from hpexp.analysis.verdict import by_workload
    from hpexp.api.sweep_report import write_sweep_report
    from hpexp.results.layout import SWEEP_FILE, discard_bookkeeping
    from hpexp.results.store import load_results, write_atomic

    frame = load_results(sweep_dir)
    if runs_elsewhere(launcher_of(config.hydra)):
        finished = frame["job"].unique() if len(frame) else []
        report.unexpected.extend(collect_failures(sweep_dir, sweep_size(config), finished))
    if frame.empty:
        discard_bookkeeping(sweep_dir, Path(config.results_dir))
        return
    report.record_failures(frame)  # first: what went wrong must not depend on what follows
    report.frame, report.path = frame, sweep_dir / SWEEP_FILE
    write_atomic(frame, report.path)
    report.parts = by_workload(frame)
    print(f"hpexp: {len(frame)} rows in {report.path}", file=sys.stderr)
    if config.report:
        write_sweep_report(frame, report.parts, sweep_dir)
