"""The book's prime generation (chapter 9): which numbers of ``[start, start + count)`` are
prime, one tiny task per number. The work per task is microseconds, so what decides the result
is what it costs to send a task and its answer between processes: the book's "a Queue costs more
than the work" lesson. ``odd_only`` sends only the odd numbers (and 2, where the range holds
it): the book's ``primes_queue_less_work.py``, half the tasks for the same answer. ``shuffle``
sends them in an order shuffled by the run's ``seed`` (the 3rd edition's chunksize experiment,
``primes_pool_plot_chunksizetimes.py --shuffle``): the expensive primes no longer sit together,
so no chunk holds more of them than another by where it lies.
"""

import math
import random
from functools import cache

from hpexp.core.errors import require_bool, require_int
from hpexp.core.workload import Outcome, Workload


def is_prime(n: int) -> bool:
    """The book's trial division by odd numbers up to sqrt(n) (made right for n < 3)."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    # the book's loop, not all(...) over a generator: that is up to 1.5x slower here
    for i in range(3, math.isqrt(n) + 1, 2):  # noqa: SIM110
        if n % i == 0:
            return False
    return True


@cache
def primes_between(start: int, stop: int) -> int:
    """How many primes lie in ``[start, stop)``: a segmented sieve, the reference every run is
    checked against (no trial division involved)."""
    limit = math.isqrt(max(stop - 1, 0))
    base = bytearray([1]) * (limit + 1)
    base[:2] = b"\x00\x00"[: limit + 1]
    for i in range(2, math.isqrt(limit) + 1):
        if base[i]:
            base[i * i :: i] = bytes(len(range(i * i, limit + 1, i)))
    low = max(start, 2)
    if low >= stop:
        return 0
    segment = bytearray([1]) * (stop - low)
    for p in (i for i, flag in enumerate(base) if flag):
        first = max(p * p, -(-low // p) * p)
        segment[first - low :: p] = bytes(len(range(first - low, stop - low, p)))
    return sum(segment)


class Primes(Workload):
    """``count`` numbers from ``start``, one task each; ``primes_found`` is checked exactly."""

    problem = ("start", "count")

    def __init__(self, start: int, count: int, odd_only: bool, shuffle: bool) -> None:
        self.start = require_int("start", start, 0)
        self.count = require_int("count", count, 1)
        self.odd_only = require_bool("odd_only", odd_only)
        self.shuffle = require_bool("shuffle", shuffle)

    def numbers(self) -> list[int]:
        """The numbers that become tasks, in order."""
        stop = self.start + self.count
        if not self.odd_only:
            return list(range(self.start, stop))
        two = [2] if self.start <= 2 < stop else []
        return two + list(range(self.start | 1, stop, 2))

    def tasks(self, workers: int, seed: int) -> list[int]:
        numbers = self.numbers()
        if self.shuffle:
            random.Random(seed).shuffle(numbers)
        return numbers

    def run(self, task: int) -> bool:
        return is_prime(task)

    def reduce(self, results: list[bool]) -> Outcome:
        found = sum(results)
        expected = primes_between(self.start, self.start + self.count)
        error = None
        if found != expected or len(results) != len(self.numbers()):
            error = (
                f"found {found} primes in {len(results)} numbers from {self.start}, "
                f"expected {expected} in {self.count}"
            )
        return Outcome(metrics={"primes_found": found}, units=self.count, error=error)
