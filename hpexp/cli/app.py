"""``python -m hpexp`` / ``hpexp``: the Hydra application and its one-line error reporting."""

import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

import hydra
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from hpexp.cli.argv import check_overrides
from hpexp.cli.build import build_job
from hpexp.cli.callbacks import SweepDirInUse, summarise_interrupted_sweep
from hpexp.cli.elsewhere import launcher_of, leave_failure, runs_elsewhere
from hpexp.cli.help import help_text
from hpexp.cli.hydra_errors import describe_hydra_error, is_hydra_error
from hpexp.cli.resume import config_hash, run_only_keys, with_resumed_sweep_dir
from hpexp.cli.run_report import REPORT, print_hpexp_warnings_as_one_line
from hpexp.cli.schema import register_schemas
from hpexp.core.errors import ConfigError, HpexpError
from hpexp.core.interrupts import INTERRUPTED, Terminated, handled, install_signal_handlers
from hpexp.core.processes import stop_for_exit, terminate_descendants
from hpexp.core.progress import Progress
from hpexp.results.resume import complete_results
from hpexp.results.store import (
    JOB_FILE,
    ResultsNotWritten,
    discard_bookkeeping,
    write_job_results,
)

TRACEBACK_FILE = "traceback.txt"


def conf_dir() -> Path:
    """The built-in configs: shipped inside the wheel, or the checkout's top-level ``conf/``."""
    package = Path(__file__).parent.parent
    packaged = package / "conf"
    return packaged if packaged.is_dir() else package.parent / "conf"


def _identity(cfg: DictConfig, hydra_cfg: Any) -> dict[str, Any]:
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    batch_dir = Path(hydra_cfg.sweep.dir if multirun else hydra_cfg.runtime.output_dir).resolve()
    root = Path(cfg.results_dir).resolve()
    sweep_id = batch_dir.relative_to(root) if batch_dir.is_relative_to(root) else batch_dir
    return {
        "sweep_id": sweep_id.as_posix(),
        "job": hydra_cfg.job.num if multirun else 0,
        "workload": hydra_cfg.runtime.choices.get("workload") or "custom",
        "executor": hydra_cfg.runtime.choices.get("executor") or "custom",
        "overrides": hydra_cfg.job.override_dirname,
        "config_hash": config_hash(cfg, run_only_keys(hydra_cfg)),
        "launcher": launcher_of(hydra_cfg),
    }


register_schemas()


@hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name="config")
def run_job(cfg: DictConfig) -> pd.DataFrame | None:
    """One Hydra job: validate, measure, write ``results.parquet`` atomically in the job dir.

    A refused config (or a plugin that fails while the job is built) is recorded rather than
    raised: other jobs of a sweep still run, and :func:`main` reports it as one line.
    """
    hydra_cfg = HydraConfig.get()
    job_dir = Path(hydra_cfg.runtime.output_dir)
    identity = _identity(cfg, hydra_cfg)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    if multirun and cfg.resume:
        earlier = complete_results(job_dir, identity, cfg.repeats)
        if earlier is not None:
            print(f"hpexp: job {identity['job']} is complete, skipped (resume)", file=sys.stderr)
            return earlier
    label = f"job {identity['job']}" if multirun else "run"
    try:
        planned = build_job(cfg, identity, Progress(label, enabled=cfg.progress))
    except Exception as exc:
        discard_bookkeeping(job_dir, Path(cfg.results_dir))
        (REPORT.refused if isinstance(exc, ConfigError) else REPORT.unexpected).append(exc)
        _leave_for_the_sweep(hydra_cfg, exc)
        return None
    if not multirun and cfg.progress:  # once the config is valid: bad input stays one line
        runs = f"{cfg.warmup} warmup + {cfg.repeats} measured runs"
        print(f"hpexp: run ({identity['overrides'] or 'defaults'}): {runs}", file=sys.stderr)
    rows, trace = planned.measure()
    (job_dir / TRACEBACK_FILE).unlink(missing_ok=True)
    if trace:
        (job_dir / TRACEBACK_FILE).write_text(trace)
    try:
        return write_job_results(rows, job_dir / JOB_FILE)
    except ResultsNotWritten as exc:
        REPORT.unexpected.append(exc)
        _leave_for_the_sweep(hydra_cfg, exc)
        return None


def _leave_for_the_sweep(hydra_cfg: Any, exc: Exception) -> None:
    """A job a parallel launcher runs in another process leaves its error for the sweeping
    process, whose :data:`REPORT` this process's is not."""
    if hydra_cfg.mode == RunMode.MULTIRUN and runs_elsewhere(launcher_of(hydra_cfg)):
        message, code = _described(exc)
        leave_failure(Path(hydra_cfg.sweep.dir), hydra_cfg.job.num, message, code)


def _exit_now(code: int) -> None:
    """Exit at once, skipping libraries' atexit hooks (after every result is written).

    Used when those hooks would wait for threads Python cannot kill, or close clusters whose
    processes were already stopped (and print tracebacks doing so).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def _exit(code: int) -> None:
    """Exit with ``code``, without waiting for pool threads a timed-out run left hung."""
    if any(t.name.startswith("hpexp") and t.is_alive() for t in threading.enumerate()):
        terminate_descendants()
        _exit_now(code)
    sys.exit(code)


def main() -> None:
    """Entry point: run Hydra, and report expected failures as one line on stderr."""
    if {"--help", "-h"} & set(sys.argv[1:]):
        print(help_text(conf_dir()))  # hpexp's help; Hydra's own is --hydra-help
        return
    full_error = os.environ.get("HYDRA_FULL_ERROR") == "1"
    # Hydra then re-raises instead of printing its own multi-line report, so we can word it.
    os.environ["HYDRA_FULL_ERROR"] = "1"
    if os.getcwd() not in sys.path:
        # the console script behaves like ``python -m hpexp``: user modules in cwd import
        sys.path.insert(0, os.getcwd())
    report = REPORT
    report.clear()
    print_hpexp_warnings_as_one_line()
    install_signal_handlers()
    try:
        check_overrides(sys.argv[1:])
        sys.argv[1:] = with_resumed_sweep_dir(sys.argv[1:], conf_dir())
        run_job()
    except SweepDirInUse as exc:
        print(f"hpexp: {exc}", file=sys.stderr)
        _exit(ConfigError.exit_code)
    except (KeyboardInterrupt, Terminated) as exc:
        handled()
        stop_for_exit()
        try:
            summarise_interrupted_sweep()
        except Exception as error:  # the interrupt's exit code and line come first
            print(
                f"hpexp: warning: the finished jobs were not summarised: {error!r}", file=sys.stderr
            )
        print(INTERRUPTED, file=sys.stderr)
        _exit_now(getattr(exc, "exit_code", 130))
    except Exception as exc:
        if full_error:
            raise
        _exit(_report_error(exc))
    if report.refused:
        if full_error:
            raise report.refused[0]
        for message in dict.fromkeys(str(exc) for exc in report.refused):
            print(f"hpexp: {message}", file=sys.stderr)
        _exit(ConfigError.exit_code)
    if report.unexpected:
        if full_error:
            raise report.unexpected[0]
        codes = [_report_error(exc) for exc in report.unexpected]
        _exit(codes[0])
    if report.failed_jobs:
        failed = len(report.failed_jobs)
        print(f"hpexp: {failed} job(s) failed: " + "; ".join(report.failed_jobs), file=sys.stderr)
        _exit(1)
    _exit(0)


def _described(exc: Exception) -> tuple[str, int]:
    """``exc`` as one line (without the ``hpexp:`` prefix) and the exit code it means."""
    if isinstance(exc, HpexpError):
        return str(exc), exc.exit_code
    if is_hydra_error(exc):
        return describe_hydra_error(exc), 2
    if isinstance(exc, OSError) and exc.filename:
        message = f"cannot write '{exc.filename}': {exc.strerror}"
        return f"{message} (results_dir must be a writable directory)", 2
    name = type(exc).__name__
    return f"unexpected {name}: {exc} (set HYDRA_FULL_ERROR=1 for the traceback)", 1


def _report_error(exc: Exception) -> int:
    """Print ``exc`` as one line on stderr and return the exit code."""
    message, code = _described(exc)
    print(f"hpexp: {message}", file=sys.stderr)
    return code
