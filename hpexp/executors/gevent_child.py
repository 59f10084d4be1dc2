"""The gevent executor's child process: patch first, then serve runs over a pipe.

Kept in its own module with no imports at the top, so monkey-patching happens before this
process imports any workload, HTTP library or socket user. Only a ``spawn`` child may run it:
the parent that started it is never patched.
"""

from typing import Any


class GeventWorkers:
    """The child-side executor handed to a workload's ``run_on_gevent(executor, tasks)``.

    ``workers`` is the greenlet limit; ``pool`` is the ``gevent.pool.Pool`` enforcing it.
    """

    kind = "gevent"

    def __init__(self, workers: int) -> None:
        from gevent.pool import Pool

        self.workers = workers
        self.pool = Pool(workers)

    def map(self, fn: Any, items: list[tuple[Any, ...]]) -> list[Any]:
        """``fn(*args)`` for every item on at most ``workers`` greenlets, results in order."""
        return self.pool.map(lambda args: fn(*args), items)

    def run(self, workload: Any, tasks: list[Any]) -> list[Any]:
        """The workload's native ``run_on_gevent`` if it has one, else ``workload.run`` per task."""
        native = getattr(workload, "run_on_gevent", None)
        if native is not None:
            return list(native(self, tasks))
        return self.pool.map(workload.run, tasks)


def serve(conn: Any, workers: int) -> None:
    """Answer ``("run", workload, tasks)`` and ``("map", fn, items)`` requests until ``None``.

    Replies are ``("ok", results)`` or ``("error", "<Type>: <message>")``; requests and replies
    are pickled here so that an unpicklable workload, task or result is reported, not fatal.
    """
    from gevent import monkey

    monkey.patch_all()

    import pickle

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
            reply = pickle.dumps(("ok", handle(target, payload)))
        except Exception as exc:
            reply = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
        conn.send_bytes(reply)
