"""The concurrency models an executor can offer, named once for executors and workloads alike."""

from enum import StrEnum


class Model(StrEnum):
    """How an executor runs work: what a workload's native driver (``Workload.driver``) may use.

    Many executors share a model (a thread pool and ``multiprocessing.dummy`` are both
    ``threads``), so a workload's drivers serve every executor of that model, built in or not.
    """

    #: every call in the calling thread, in order (``submit`` returns a completed future)
    inline = "inline"
    #: ``submit`` returns a ``concurrent.futures.Future`` run on a thread of this process
    threads = "threads"
    #: ``submit`` returns a ``concurrent.futures.Future``; tasks are pickled to worker processes
    processes = "processes"
    #: ``map`` in dispatched batches, no callbacks (``chunksize_for`` says the batch)
    batches = "batches"
    #: an asyncio event loop in the calling thread, as ``executor.loop``
    asyncio = "asyncio"
    #: a tornado IOLoop in the calling thread, as ``executor.ioloop``
    tornado = "tornado"
    #: a ``gevent.pool.Pool`` of ``executor.workers`` greenlets, as ``executor.pool``, in a
    #: monkey-patched child process (the driver runs there)
    greenlets = "greenlets"
    #: ``submit`` returns a ``concurrent.futures.Future`` computed on a dask cluster
    cluster = "cluster"
    #: ``submit`` and ``map`` take a self-contained function (its source crosses, not hpexp's
    #: code) and plain arguments, run in worker processes of another Python
    #: (``executor.python``: PyPy, a free-threaded CPython)
    interpreter = "interpreter"
