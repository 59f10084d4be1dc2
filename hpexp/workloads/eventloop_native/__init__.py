"""The eventloop workload's native drivers: one module per concurrency model.

Each driver runs ``len(targets)`` hello/world chains, chain ``i`` making exactly ``targets[i]``
calls, with its model's own scheduling primitive, and returns one
:class:`~hpexp.workloads.eventloop_native.common.ChainRun` per chain. Libraries that only some
executors need (tornado, gevent) are imported by their driver module alone.
"""
