"""What became of a measured run: the one set of statuses that rows, summaries and resume share."""

from enum import StrEnum


class Status(StrEnum):
    """A row's ``status``; a ``StrEnum``, so it is stored and compared as its plain text."""

    #: measured, and the workload found its result right
    OK = "ok"
    #: the run failed, or its result was wrong (the row's ``error`` says how)
    ERROR = "error"
    #: a run exceeded ``trial_timeout_s``; its processes were stopped
    TIMEOUT = "timeout"
    #: the cell cannot run as configured (an executor that cannot hand over shared state)
    SKIPPED = "skipped"


#: statuses that do not make a job failed: a skipped cell was refused with a reason, not broken
NOT_FAILED = (Status.OK, Status.SKIPPED)
