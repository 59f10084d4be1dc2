"""The 2nd edition's pi loop as it is written (``pi_lists_parallel.py``): ``impl=python_uniform``.

``impl=python`` binds ``random`` to a local and is about three times faster; comparing the
two shows what that one step buys.
"""

import numpy as np

from hpexp.workloads.kernels.pure_python import pi_seed, pi_uniform


def pi_count(samples: int, stream: np.random.SeedSequence) -> int:
    return pi_uniform(samples, pi_seed(stream))
