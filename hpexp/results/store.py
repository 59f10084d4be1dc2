"""The results store: one row per measured repeat, written atomically, loaded back as one DataFrame.

Every job writes ``results.parquet`` in its own directory; a finished sweep also gets one
combined ``sweep.parquet``. :func:`load_results` reads the job files, and a sweep's combined file
for the jobs whose own file is gone or unreadable (a job dir deleted, a sweep file copied on its
own), so no row is read twice and none that is still on disk is lost.
"""

import json
import os
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from hpexp.core.errors import HpexpError, one_line
from hpexp.results.layout import JOB_FILE, SWEEP_FILE
from hpexp.results.schema import BY_NAME, REQUIRED, ordered

SORT_KEY = ["started_at", "sweep_id", "job", "repeat"]


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


class ResultsNotWritten(HpexpError):
    """A job's parquet file could not be written; its rows were saved as JSON lines instead."""


def write_job_results(rows: list[dict[str, Any]], path: Path) -> pd.DataFrame:
    """The job's rows as a frame, written to ``path``; if that fails, saved where they can be read.

    A value pyarrow cannot store, a full disk or a dir that went read-only would otherwise lose
    the job's measurements with the error. The rows go to ``<path>.rows.jsonl`` beside it (or
    to the temporary dir, if the job dir is not writable), and the error says where.
    """
    try:
        frame = to_frame(rows)
        write_atomic(frame, path)
        return frame
    except Exception as exc:
        failed = f"could not write {path} ({one_line(exc)})"
        try:
            saved = _save_as_json_lines(rows, path.with_name(f"{path.name}.rows.jsonl"))
        except OSError as also:
            raise ResultsNotWritten(
                f"{failed}; the job's {len(rows)} rows are lost: they could not be saved as "
                f"JSON lines either ({one_line(also)})"
            ) from exc
        raise ResultsNotWritten(
            f"{failed}; the job's {len(rows)} rows are in {saved} (JSON, one row per line)"
        ) from exc


def _save_as_json_lines(rows: list[dict[str, Any]], path: Path) -> Path:
    """Beside ``path``, else in the temporary dir (a job dir that went read-only)."""
    text = "".join(json.dumps(row, default=str) + "\n" for row in rows)
    try:
        path.write_text(text)
        return path
    except OSError:
        fd, fallback = tempfile.mkstemp(prefix="hpexp-rows-", suffix=".jsonl")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return Path(fallback)


class UnreadableResults(UserWarning):
    """A results file that cannot be read; its rows are skipped, every other file's kept."""


def read_or_skip(path: Path, what: str, stacklevel: int) -> pd.DataFrame | None:
    """``path`` read through one open handle (a file renamed over it meanwhile cannot mix in),
    or None with a warning naming it (``what`` it is) where it cannot be read: one bad file,
    truncated by a crash of another tool, say, never hides every other one. ``stacklevel`` is
    the warning's, counted from the caller."""
    try:
        with open(path, "rb") as f:
            return pd.read_parquet(f)
    except (OSError, ValueError, pa.ArrowException) as exc:
        warnings.warn(
            f"hpexp: skipping unreadable {what} {path}: {exc}", UnreadableResults, stacklevel + 1
        )
        return None


def _read(path: Path) -> pd.DataFrame | None:
    """One results file (see :func:`read_or_skip`); one whose keys do not hold integers is
    skipped too, with a warning."""
    frame = read_or_skip(path, "results file", 3)
    if frame is None:
        return None
    mistyped = _mistyped_count(frame)
    if mistyped is not None:
        warnings.warn(
            f"hpexp: skipping results file {path}: its column '{mistyped}' does not hold "
            f"integers (not written by hpexp?)",
            UnreadableResults,
            3,
        )
        return None
    return frame


#: the integer columns that key and count rows: another tool's file may hold text in them
_COUNTS = [c.name for c in BY_NAME.values() if c.dtype in ("int64", "Int64")]


def _mistyped_count(frame: pd.DataFrame) -> str | None:
    """The first integer column of ``frame`` that does not hold integers, if any."""
    for column in _COUNTS:
        if column in frame and not pd.api.types.is_numeric_dtype(frame[column].dtype):
            try:
                frame[column].astype("Int64")
            except (ValueError, TypeError):
                return column
    return None


#: what tells one job's rows from every other's
JOB_KEY = ["sweep_id", "job"]


def _job_keys(frame: pd.DataFrame) -> list[tuple[str, int]]:
    if not set(JOB_KEY) <= set(frame.columns):
        return []
    return list(zip(frame["sweep_id"].astype(str), frame["job"].astype("int64"), strict=True))


def _rows_of_missing_jobs(sweep_file: Path, present: set[tuple[str, int]]) -> pd.DataFrame | None:
    """The rows of ``sweep_file`` whose job has no readable job file of its own.

    Only the key columns are read first: usually every job file is there, and the combined
    file adds nothing.
    """
    try:
        keys = set(_job_keys(pd.read_parquet(sweep_file, columns=JOB_KEY)))
    except (OSError, ValueError, KeyError, pa.ArrowException):
        keys = None
    if keys is not None and keys <= present:
        return None
    frame = _read(sweep_file)
    if frame is None:
        return None
    missing = [key not in present for key in _job_keys(frame)] or [True] * len(frame)
    return frame[missing]


def load_results(path: str | os.PathLike[str] = "results") -> pd.DataFrame:
    """All results under ``path`` (a results file, a job dir, a sweep dir or the results root).

    Returns one tidy DataFrame sorted by start time, with categorical ``workload`` and
    ``executor``; an empty DataFrame with the schema's columns when nothing has run yet.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"no results at '{root}' (run python -m hpexp first)")
    if root.is_file():
        frames = [frame] if (frame := _read(root)) is not None else []
    else:
        frames = [frame for f in sorted(root.rglob(JOB_FILE)) if (frame := _read(f)) is not None]
        present = {key for frame in frames for key in _job_keys(frame)}
        for sweep_file in sorted(root.rglob(SWEEP_FILE)):
            extra = _rows_of_missing_jobs(sweep_file, present)
            if extra is not None and len(extra):
                frames.append(extra)
                present.update(_job_keys(extra))
    if not frames:
        return empty_frame()
    frame = conform(pd.concat(frames, ignore_index=True, sort=False))
    return frame.sort_values(SORT_KEY, kind="stable", ignore_index=True)
