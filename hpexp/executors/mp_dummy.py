"""``multiprocessing.dummy.Pool``: the Pool API of :mod:`hpexp.executors.mp_pool` on threads."""

import multiprocessing.dummy

from hpexp.core.model import Model
from hpexp.executors.mp_pool import PoolApiExecutor


class MpDummyExecutor(PoolApiExecutor):
    """``multiprocessing.dummy.Pool(workers)``: threads behind the Pool API, for I/O work."""

    model = Model.threads
    workers_in_this_process = True

    def start(self) -> None:
        self._pool = multiprocessing.dummy.Pool(self.workers)
