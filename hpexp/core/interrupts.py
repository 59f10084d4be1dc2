"""Ctrl-C and SIGTERM always win: raised in the main thread, raised again when library code
swallows them, and a hard stop when even that fails.

Python raises a signal's exception wherever the main thread is. Code that drops every
exception (a garbage-collection callback: Python prints "Exception ignored" and goes on, which
is where dask's gc hook lost hpexp's Ctrl-C) would let the sweep run on. So the signal stays
pending until hpexp's own handling code takes it (:func:`handled`): it is delivered again every
:data:`REDELIVER_S`, and if it is still pending after :data:`STOP_S` a watchdog thread stops
every process hpexp started and exits with the signal's code. Finished jobs' results are on
disk by then; the interrupted job's are dropped, as on any interrupt.
"""

import logging
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from hpexp.core.processes import stop_for_exit

#: how often a swallowed signal is raised again
REDELIVER_S = 0.5
#: how long after the signal the watchdog stops everything itself
STOP_S = 3.0
#: hpexp's last line after an interrupt, however it was stopped
INTERRUPTED = "hpexp: interrupted; finished jobs' results are kept"
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Terminated(BaseException):
    """SIGTERM, raised in the main thread like KeyboardInterrupt is for SIGINT."""

    exit_code = EXIT_CODES[signal.SIGTERM]


#: the signal raised and not yet taken by hpexp's handling code
_pending: int | None = None
#: hpexp's handling code has taken the interrupt and is stopping: later signals change nothing
_stopping = False


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _pending
    if _stopping:
        return
    if _pending is None:
        _pending = signum
        # the process is stopping: libraries' threads (dask's) would log a traceback for each
        # process stopped under them
        logging.disable(logging.CRITICAL)
        threading.Thread(target=_watch, args=(signum,), name="hpexp-interrupt", daemon=True).start()
    raise KeyboardInterrupt if signum == signal.SIGINT else Terminated


def is_a_signal(exc: BaseException) -> bool:
    """``exc`` is Ctrl-C or SIGTERM, not a ``KeyboardInterrupt`` a task raised itself (which
    fails its job only). Where hpexp's handlers are not installed (a notebook), a Ctrl-C
    cannot be told from a task's own, so every KeyboardInterrupt stops the run."""
    if isinstance(exc, Terminated):
        return True
    if not isinstance(exc, KeyboardInterrupt):
        return False
    return _pending is not None or _stopping or signal.getsignal(signal.SIGINT) is not _on_signal


def handled() -> None:
    """Called where hpexp catches the interrupt: it stops the run, nothing is delivered again."""
    global _stopping, _pending
    _stopping, _pending = True, None


def _watch(signum: int) -> None:
    deadline = time.monotonic() + STOP_S
    while time.monotonic() < deadline:
        time.sleep(REDELIVER_S)
        if _pending is None:
            return
        os.kill(os.getpid(), signum)
    if _pending is None:
        return
    stop_for_exit()
    print(INTERRUPTED, file=sys.stderr, flush=True)
    os._exit(EXIT_CODES[signum])


def _drop_swallowed_interrupts(unraisable: Any, default: Any = sys.unraisablehook) -> None:
    """A swallowed interrupt is delivered again: its "Exception ignored" report is noise."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt | Terminated):
        return
    default(unraisable)


def _quiet_child_signals() -> None:
    """In a forked child: die on SIGTERM, leave SIGINT to the parent.

    Without this a pool worker inherits the parent's handlers, so stopping it (or a terminal's
    Ctrl-C, sent to the whole process group) prints a traceback from every worker.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: inherited by multiprocessing's resource tracker: after an interrupt it frees the semaphores
#: of the processes hpexp stopped, and need not warn about each one after hpexp has exited
_QUIET_RESOURCE_TRACKER = "ignore:::multiprocessing.resource_tracker"


def install_signal_handlers() -> None:
    """SIGINT and SIGTERM raise here until hpexp takes them; forked children stop quietly."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    sys.unraisablehook = _drop_swallowed_interrupts
    os.register_at_fork(after_in_child=_quiet_child_signals)
    filters = [f for f in os.environ.get("PYTHONWARNINGS", "").split(",") if f]
    if _QUIET_RESOURCE_TRACKER not in filters:
        os.environ["PYTHONWARNINGS"] = ",".join([*filters, _QUIET_RESOURCE_TRACKER])
