"""The book's hello/world event loop: the workload (:mod:`.workload`) and one driver module per
concurrency model.

Each driver runs ``len(targets)`` hello/world chains, chain ``i`` making exactly ``targets[i]``
calls, with its model's own scheduling primitive, and returns one
:class:`~hpexp.workloads.eventloop.common.ChainRun` per chain. Libraries that only some models
need (tornado, gevent) are imported by their driver module alone.
"""
