"""Stopping what a job started: a child and what it started, or every descendant, within one
bounded grace period.

Pools, the delay server, dask clusters and gevent children are all children (or grandchildren)
of this process, so one process-tree sweep stops them all, whichever executor started them and
however it got stuck.
"""

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress

import psutil

#: how long terminated processes get to exit before they are killed
GRACE_S = 1.0
#: prctl(2) option: the signal this process gets when the thread that created it exits
_PR_SET_PDEATHSIG = 1
#: how often a worker looks whether its parent is still alive
WATCH_S = 0.2


def exit_with_parent(hpexp_pid: int) -> None:
    """In a worker process: exit at once when its parent dies, even if that was by SIGKILL.

    Nothing runs in a parent killed with SIGKILL, and a pool worker blocked on its task queue
    would wait forever. A parent's death reparents its children at once, so a daemon thread
    that sees the parent pid change ends the worker. (The kernel's ``PR_SET_PDEATHSIG`` is
    tied to the *thread* that forked, so a pool that replaces workers from a helper thread
    would see them killed when that thread ends, some holding the pool's locks.) The parent
    is hpexp or a helper that dies with it (multiprocessing's forkserver); a worker that starts
    after ``hpexp_pid`` is gone exits at once.
    """
    parent = os.getppid()
    if not _alive(hpexp_pid):
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="hpexp-watch-parent", daemon=True).start()


def _alive(pid: int) -> bool:
    with suppress(psutil.Error):
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    return False


def dies_with_this_process() -> None:
    """``preexec_fn`` of a ``subprocess.Popen`` from the main thread: the child is killed
    (``PR_SET_PDEATHSIG``, Linux) when this process dies. Elsewhere it does nothing."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def stop_for_exit() -> None:
    """After Ctrl-C or SIGTERM: stop every descendant, with every logger silenced first.

    Libraries with their own event loop threads (dask's) log tracebacks about the processes
    that were just stopped under them; the process is exiting, so hpexp's own last line is the
    only one worth printing.
    """
    logging.disable(logging.CRITICAL)
    terminate_descendants()


def _is_resource_tracker(process: psutil.Process) -> bool:
    """multiprocessing's (or loky's) bookkeeping process: it exits with us, then frees leaks.

    Killing loky's makes loky relaunch it and print a traceback per temporary folder it lost.
    """
    with suppress(psutil.Error):
        return "resource_tracker import main" in " ".join(process.cmdline())
    return False


def stop_processes(processes: list[psutil.Process], grace_s: float = GRACE_S) -> None:
    """SIGTERM each process, then SIGKILL whatever is still alive after ``grace_s``; reap them."""
    for process in processes:
        with suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=grace_s)
    for process in alive:
        with suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=grace_s)


def _descendants(pid: int) -> list[psutil.Process]:
    with suppress(psutil.Error):
        return psutil.Process(pid).children(recursive=True)
    return []


def stop_child(child: subprocess.Popen, grace_s: float = GRACE_S) -> int:
    """Stop a child that was asked to exit (a stop message, its stdin closed) and all it started.

    It gets ``grace_s`` to exit on its own, then is killed; it is always reaped. Returns its
    exit code.
    """
    descendants = _descendants(child.pid)  # before it exits: orphans are reparented
    try:
        code = child.wait(grace_s)
    except subprocess.TimeoutExpired:
        child.kill()
        code = child.wait()
    stop_processes([p for p in descendants if p.is_running()], grace_s)
    return code


def processes_started_from_now() -> Callable[[], None]:
    """A function that stops the descendants started after this call, and no others.

    What a job started (its pool, server, cluster, gevent child), without touching what its
    caller had running before it: a notebook's own processes, a test's module-wide server.
    """
    before = {process.pid for process in _descendants(os.getpid())}

    def stop() -> None:
        started = [p for p in _descendants(os.getpid()) if p.pid not in before]
        stop_processes([p for p in started if not _is_resource_tracker(p)])

    return stop


def terminate_descendants(grace_s: float = GRACE_S) -> None:
    """SIGTERM every descendant, then SIGKILL whatever is still alive after ``grace_s``.

    The resource trackers are left alone: killing one mid-cleanup makes it print tracebacks,
    and it stops by itself when this process exits.
    """
    everything = _descendants(os.getpid())
    stop_processes([child for child in everything if not _is_resource_tracker(child)], grace_s)
