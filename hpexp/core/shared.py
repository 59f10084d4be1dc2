"""Shared state (a flag, a counter, an array, a lock) handed to every worker as it starts.

``multiprocessing`` values, arrays and locks can reach a process only as it is created (the
stdlib's ``initializer``/``initargs``), never inside a task. So a workload creates its state once
per job (:meth:`hpexp.core.workload.Workload.shared_state`), the trial loop gives
``(install, (state,))`` to :meth:`hpexp.core.executor.Executor.hand_over`, every worker runs
:func:`install` when it starts, and the workload's tasks read :func:`installed` where they run.
Executors whose workers run in this process (threads, event loops) install it here once.
"""

from typing import Any


class CannotShare(Exception):
    """An executor that cannot hand shared state to its workers: the cell is skipped."""


_state: Any = None


def install(state: Any) -> None:
    """Run in each worker as it starts (and here for in-process executors)."""
    global _state
    _state = state


def uninstall() -> None:
    """After a job: the next job of a sweep starts without this one's state."""
    global _state
    _state = None


def installed() -> Any:
    """The state this worker was handed at its start."""
    if _state is None:
        raise RuntimeError("no shared state in this worker: its executor did not hand it over")
    return _state
