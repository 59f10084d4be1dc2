"""Where results live on disk: the names of hpexp's files, and the cleaning of a dir that got
none (no pandas here: a refused job cleans up without importing it)."""

import shutil
from pathlib import Path

JOB_FILE = "results.parquet"
SWEEP_FILE = "sweep.parquet"
#: a job's spans and CPU samples, beside its rows (:mod:`hpexp.results.timeline`)
TIMELINE_FILE = "timeline.parquet"
#: held by the process running a sweep, so a second sweep on the same dir is refused
LOCK_FILE = ".hpexp.lock"
#: what Hydra (and hpexp's lock) write in a run, sweep or job dir before any job has measured
HYDRA_BOOKKEEPING = (".hydra", "hpexp.log", "multirun.yaml", LOCK_FILE)


def discard_bookkeeping(directory: Path, results_root: Path) -> None:
    """Remove Hydra's files from a dir that got no results, then the dirs this leaves empty.

    Only Hydra's own files are removed, and only empty dirs strictly inside ``results_root``, so
    nothing a user or another job wrote is ever lost (nor the results root, nor the cwd).
    """
    for name in HYDRA_BOOKKEEPING:
        target = directory / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    root = results_root.resolve()
    for parent in (directory.resolve(), *directory.resolve().parents):
        if parent == root or not parent.is_relative_to(root):
            break
        try:
            parent.rmdir()
        except OSError:
            break
