"""The gevent executor's child process: patch first, then serve runs over a socket.

The child is a fresh interpreter started as ``python -c "<CHILD_MAIN>"``, which patches before
importing anything else, this module included. (A ``multiprocessing`` spawn child would first
re-import the parent's ``__main__`` and whatever it imports, e.g. ssl, unpatched.) The parent
that starts it is never patched.
"""

from typing import Any

from hpexp.core.model import Model


class GeventWorkers:
    """The child-side executor handed to a workload's native driver for the ``greenlets`` model.

    ``workers`` is the greenlet limit; ``pool`` is the ``gevent.pool.Pool`` enforcing it.
    """

    model = Model.greenlets

    def __init__(self, workers: int) -> None:
        from gevent.pool import Pool

        self.workers = workers
        self.pool = Pool(workers)

    def map(self, fn: Any, items: list[tuple[Any, ...]]) -> list[Any]:
        """``fn(*args)`` for every item on at most ``workers`` greenlets, results in order."""
        return self.pool.map(lambda args: fn(*args), items)

    def run(self, workload: Any, tasks: list[Any]) -> list[Any]:
        """The workload's native greenlets driver if it has one, else ``workload.run`` per task."""
        native = workload.driver(self.model)
        if native is not None:
            return list(native(self, tasks))
        return self.pool.map(workload.run, tasks)


#: the child's whole program; ``{fd}`` and ``{workers}`` are filled in by the parent
CHILD_MAIN = (
    "from gevent import monkey; monkey.patch_all(); "
    "from hpexp.executors.gevent_child import serve; serve({fd}, {workers})"
)


def serve(fd: int, workers: int) -> None:
    """Answer ``("run", workload, tasks)`` and ``("map", fn, items)`` requests until ``None``.

    A reply holds the results, or the task's :class:`~hpexp.core.remote.Failure`: its own
    exception (its text where it cannot be pickled) and traceback, so the parent raises what a
    thread or process pool would, with the child's frames as its cause.
    Requests and replies are pickled here so that an unpicklable workload, task or result is
    reported, not fatal. Ctrl-C is left to the parent, which stops this child through its
    ``shutdown()``.
    """
    import pickle
    import signal
    from multiprocessing.connection import Connection

    import gevent

    from hpexp.core.remote import Failure

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a failed greenlet's traceback would go to stderr; the error reaches the parent instead
    gevent.get_hub().exception_stream = None
    conn = Connection(fd)
    executor = GeventWorkers(workers)
    while True:
        try:
            data = conn.recv_bytes()
        except EOFError:
            return
        try:
            request = pickle.loads(data)
            if request is None:
                return
            verb, target, payload = request
            handle = executor.run if verb == "run" else executor.map
            reply = pickle.dumps(handle(target, payload))
        except Exception as exc:
            reply = pickle.dumps(Failure.of(exc))
        try:
            conn.send_bytes(reply)
        except OSError:  # the parent stopped waiting (shut down or interrupted): nothing to do
            return
