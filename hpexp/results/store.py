"""The results store: one row per measured repeat, written atomically, loaded back as one DataFrame.

Every job writes ``results.parquet`` in its own directory; a finished sweep also gets one
combined ``sweep.parquet``. :func:`load_results` reads the job files and uses a sweep's combined
file only where its job files are gone (e.g. a sweep file copied on its own), so no row is read
twice.
"""

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from hpexp.results.schema import BY_NAME, REQUIRED, ordered

JOB_FILE = "results.parquet"
SWEEP_FILE = "sweep.parquet"

SORT_KEY = ["started_at", "sweep_id", "job", "repeat"]
#: what Hydra itself writes in a run, sweep or job dir before any job has measured anything
HYDRA_BOOKKEEPING = (".hydra", "hpexp.log", "multirun.yaml")


def to_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    return conform(pd.DataFrame(list(rows)))


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Every required column, every column ordered by kind and typed as the schema says."""
    for column, dtype in REQUIRED.items():
        if column not in frame:
            frame[column] = pd.Series(index=frame.index, dtype=dtype)
    return _with_schema_dtypes(frame[ordered(list(frame.columns))])


def _with_schema_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    dtypes = {c: BY_NAME[c].dtype for c in frame.columns if c in BY_NAME}
    plain = {c: t for c, t in dtypes.items() if t != "category"}
    frame = frame.astype(plain)
    for column in (c for c, t in dtypes.items() if t == "category"):
        frame[column] = frame[column].astype("string").astype("category")
    return frame


def empty_frame() -> pd.DataFrame:
    return _with_schema_dtypes(pd.DataFrame({c: pd.Series(dtype="object") for c in REQUIRED}))


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write to a temporary file in the same directory, then rename it into place.

    A reader (or a crash) never sees a half-written file: ``path`` is either the old complete
    file, or the new complete one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            frame.to_parquet(f, index=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def result_files(root: Path) -> list[Path]:
    """The files under ``root`` whose rows together are every result exactly once."""
    if root.is_file():
        return [root]
    job_files = sorted(root.rglob(JOB_FILE))
    job_dirs = {f.parent for f in job_files}
    sweep_files = [
        f
        for f in sorted(root.rglob(SWEEP_FILE))
        if not any(f.parent in d.parents for d in job_dirs)
    ]
    return [*job_files, *sweep_files]


def _read(path: Path) -> pd.DataFrame | None:
    """Read through one open handle: a file renamed over ``path`` meanwhile cannot mix in.

    An unreadable file (truncated by a crash of another tool, say) is skipped with a warning
    naming it, so one bad file never hides every other result.
    """
    try:
        with open(path, "rb") as f:
            return pd.read_parquet(f)
    except (OSError, ValueError, pa.ArrowException) as exc:
        warnings.warn(f"hpexp: skipping unreadable results file {path}: {exc}", stacklevel=3)
        return None


def load_results(path: str | os.PathLike[str] = "results") -> pd.DataFrame:
    """All results under ``path`` (a results file, a job dir, a sweep dir or the results root).

    Returns one tidy DataFrame sorted by start time, with categorical ``workload`` and
    ``executor``; an empty DataFrame with the schema's columns when nothing has run yet.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"no results at '{root}' (run python -m hpexp first)")
    frames = [frame for f in result_files(root) if (frame := _read(f)) is not None]
    if not frames:
        return empty_frame()
    frame = conform(pd.concat(frames, ignore_index=True, sort=False))
    return frame.sort_values(SORT_KEY, kind="stable", ignore_index=True)


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
