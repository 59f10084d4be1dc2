"""What every worker process an hpexp executor starts runs first, before any task."""

import multiprocessing
from collections.abc import Callable
from typing import Any

from hpexp.core.errors import require_choice
from hpexp.core.processes import exit_with_parent

#: a workload's shared-state installer and its arguments (see :mod:`hpexp.core.shared`)
Handed = tuple[Callable[..., None], tuple[Any, ...]] | None


def start_worker(hpexp_pid: int, handed: Handed, ready: Callable[[], Any] | None = None) -> None:
    """Exit with hpexp (even on SIGKILL), install the handed-over state, then say it is ready.

    ``ready`` tells the parent this worker is up (a barrier's ``wait``, a semaphore's
    ``release``), so starting every worker is timed as setup, never inside a measured run.
    """
    exit_with_parent(hpexp_pid)
    if handed is not None:
        initializer, initargs = handed
        initializer(*initargs)
    if ready is not None:
        ready()


def checked_start_method(start_method: str | None) -> str:
    """``start_method``, or the platform's default for None, among those this platform has.

    Executors take a context from ``multiprocessing.get_context`` and never change the global
    start method, so one sweep can compare fork, spawn and forkserver.
    """
    methods = tuple(multiprocessing.get_all_start_methods())  # the platform default first
    return require_choice("start_method", start_method or methods[0], methods)
