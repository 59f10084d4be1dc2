"""Hydra's task function: one job, validated, measured, and written in its job dir.

A refused config (or a plugin that fails while the job is built) is recorded in the caller's
:class:`~hpexp.api.outcome.RunReport` rather than raised: the other jobs of a sweep still
run. A job that a parallel launcher runs in another process leaves its error in the sweep dir
instead (:mod:`hpexp.api.elsewhere`), since that process's report is a copy.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from hpexp.api.build import build_job
from hpexp.api.described import described
from hpexp.api.elsewhere import launcher_of, leave_failure, runs_elsewhere
from hpexp.api.outcome import RunReport
from hpexp.api.resume import config_hash, run_only_keys
from hpexp.api.rounds import plan_of
from hpexp.core.errors import ConfigError, one_line
from hpexp.core.progress import Progress

if TYPE_CHECKING:
    import pandas as pd

    from hpexp.core.trials import Trials

TRACEBACK_FILE = "traceback.txt"


def identity(cfg: DictConfig, hydra_cfg: Any) -> dict[str, Any]:
    """The columns that say which sweep, job and configuration a row belongs to."""
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    batch_dir = Path(hydra_cfg.sweep.dir if multirun else hydra_cfg.runtime.output_dir).resolve()
    root = Path(cfg.results_dir).resolve()
    sweep_id = batch_dir.relative_to(root) if batch_dir.is_relative_to(root) else batch_dir
    return {
        "sweep_id": sweep_id.as_posix(),
        "job": hydra_cfg.job.num if multirun else 0,
        "round": cfg.round,
        "workload": hydra_cfg.runtime.choices.get("workload") or "custom",
        "executor": hydra_cfg.runtime.choices.get("executor") or "custom",
        "overrides": hydra_cfg.job.override_dirname,
        "config_hash": config_hash(cfg, run_only_keys(hydra_cfg)),
        "launcher": launcher_of(hydra_cfg),
    }


def _check_single_run(cfg: DictConfig) -> None:
    """What only a sweep has: resume, and rounds above 1."""
    if cfg.resume:
        raise ConfigError(
            "resume", True, "true only with -m (resume re-runs a sweep's missing jobs)"
        )
    if plan_of(cfg).rounds != 1:
        raise ConfigError("rounds", cfg.rounds, "1 without -m (rounds are visits of a sweep)")


class JobFunction:
    """Called by Hydra once per job with the job's composed config; picklable, so Hydra's
    joblib and submitit launchers can send it to their processes."""

    def __init__(self, report: RunReport) -> None:
        self.report = report

    def __call__(self, cfg: DictConfig) -> "pd.DataFrame | None":
        hydra_cfg = HydraConfig.get()
        job_dir = Path(hydra_cfg.runtime.output_dir)
        columns = identity(cfg, hydra_cfg)
        multirun = hydra_cfg.mode == RunMode.MULTIRUN
        if multirun and cfg.resume:
            from hpexp.results.resume import complete_results

            earlier = complete_results(job_dir, columns, cfg.repeats)
            if earlier is not None:
                print(f"hpexp: job {columns['job']} is complete, skipped (resume)", file=sys.stderr)
                return earlier
        label = f"job {columns['job']}" if multirun else "run"
        try:
            if not multirun:
                _check_single_run(cfg)
            planned = build_job(cfg, columns, Progress(label, enabled=cfg.progress))
        except Exception as exc:
            from hpexp.results.layout import discard_bookkeeping

            discard_bookkeeping(job_dir, Path(cfg.results_dir))
            refused = isinstance(exc, ConfigError)
            (self.report.refused if refused else self.report.unexpected).append(exc)
            self._leave_for_the_sweep(hydra_cfg, exc)
            return None
        if not multirun and cfg.progress:  # once the config is valid: bad input stays one line
            runs = f"{cfg.warmup} warmup + {cfg.repeats} measured runs"
            print(f"hpexp: run ({columns['overrides'] or 'defaults'}): {runs}", file=sys.stderr)
        rows, trials = planned.measure()
        return self._written(rows, trials, planned.columns, job_dir, hydra_cfg)

    def _written(
        self,
        rows: list[dict[str, Any]],
        trials: "Trials",
        columns: dict[str, Any],
        job_dir: Path,
        hydra_cfg: Any,
    ) -> "pd.DataFrame | None":
        """The job's rows, written in its dir (or saved elsewhere, and said so), then its
        timeline and the traceback of the failure that ended it: a dir that went read-only
        loses none of them, and a timeline that cannot be written costs only a warning."""
        from hpexp.results.layout import JOB_FILE
        from hpexp.results.store import ResultsNotWritten, write_job_results
        from hpexp.results.timeline import write_timeline

        try:
            frame = write_job_results(rows, job_dir / JOB_FILE)
        except ResultsNotWritten as exc:
            self.report.unexpected.append(exc)
            self._leave_for_the_sweep(hydra_cfg, exc)
            frame = None
        try:
            write_timeline(columns, trials, job_dir)
        except Exception as exc:
            print(f"hpexp: warning: no timeline in {job_dir}: {one_line(exc)}", file=sys.stderr)
        try:
            (job_dir / TRACEBACK_FILE).unlink(missing_ok=True)
            if trials.traceback:
                (job_dir / TRACEBACK_FILE).write_text(trials.traceback)
        except OSError as exc:
            print(f"hpexp: warning: no {TRACEBACK_FILE} in {job_dir}: {exc}", file=sys.stderr)
        return frame

    @staticmethod
    def _leave_for_the_sweep(hydra_cfg: Any, exc: Exception) -> None:
        if hydra_cfg.mode == RunMode.MULTIRUN and runs_elsewhere(launcher_of(hydra_cfg)):
            message, code = described(exc)
            leave_failure(Path(hydra_cfg.sweep.dir), hydra_cfg.job.num, message, code)
