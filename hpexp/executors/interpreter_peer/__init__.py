"""The interpreter executor's worker (:mod:`worker`), a script another Python runs by its path.

Nothing here imports hpexp: the worker must run where hpexp and numpy are not installed.
"""
