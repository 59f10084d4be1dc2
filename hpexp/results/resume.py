"""Whether a job's earlier results can stand in for running it again (``resume=true``)."""

from pathlib import Path
from typing import Any

import pandas as pd

from hpexp.core.status import Status
from hpexp.results.store import load_results


def complete_results(job_dir: Path, identity: dict[str, Any], repeats: int) -> pd.DataFrame | None:
    """The job's earlier results if they are complete and were measured with this config."""
    if not job_dir.is_dir():
        return None
    frame = load_results(job_dir)
    complete = (
        len(frame) == repeats
        and (frame["status"] == Status.OK).all()
        and (frame["overrides"] == identity["overrides"]).all()
        and (frame["config_hash"] == identity["config_hash"]).all()
        and (frame.get("round", pd.Series(0, frame.index)).fillna(0) == identity["round"]).all()
    )
    return frame if complete else None
