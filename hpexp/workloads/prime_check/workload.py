"""Is each of a few large numbers prime? Trial division by odd factors up to sqrt(n), each
number's factors split into ``workers`` ranges run at once, and a shared ``flag`` per number so
that a range that finds a factor stops the others (the book's ``primes_pool_per_number*``).

``check_every`` is how many factors a task tries between looks at the flag: the book's
communication-frequency experiment (look too often and the looks cost more than the work).
``look`` is how a task counts to it: ``countdown`` decrements a counter at every factor (the
book's ``primes_pool_per_number_value.py`` and ``_mmap.py``), ``compare`` compares each factor
with the next one to look at (``primes_pool_per_number_mmap2.py``), ``block`` runs a plain inner
loop over each block of ``check_every`` factors and reads the flag between blocks
(``primes_pool_per_number_mmap3.py`` and ``_mmap4.py``, the book's fastest, "MMap Redux").
``serial_check_to`` tries the odd factors below it in the calling process first (the book's
``primes_pool_per_number2.py``: 21), so a number with a small factor never reaches the workers;
3 tries none.
Numbers are checked one after the other, each split over the workers, as in the book; every
verdict is checked against a Miller-Rabin test.
"""

import itertools
import math
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from hpexp.core.errors import ConfigError, require_choice, require_int
from hpexp.core.model import Model
from hpexp.core.shared import installed
from hpexp.core.workload import Driver, Outcome, Workload
from hpexp.workloads.ipc import check_redis_url, redis_url_for, start_manager, temporary_dir
from hpexp.workloads.prime_check.flags import (
    MmapFlags,
    RedisFlags,
    manager_flags,
    raw_value_flags,
    value_flags,
)

FLAGS = ("none", "manager", "value", "rawvalue", "mmap", "redis")
LOOKS = ("countdown", "compare", "block")
#: about a second serially here: a trivial and two expensive non-primes, two 14-digit primes
DEFAULT_NUMBERS = (112272535095295, 10200186800731, 15170044800011, 10000000000037, 20000000000021)
#: Miller-Rabin with these bases is exact below 3.3e24
_WITNESSES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)


def is_prime_reference(n: int) -> bool:
    """A deterministic Miller-Rabin test: the reference every verdict is checked against."""
    if n < 2:
        return False
    for p in _WITNESSES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in _WITNESSES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


@dataclass(frozen=True)
class FactorRange:
    """Odd candidate factors ``start, start + 2, ... < stop`` of number ``index`` (``n``)."""

    index: int
    n: int
    start: int
    stop: int


def split(index: int, n: int, parts: int, first: int = 3) -> list[FactorRange]:
    """The odd factors ``first``..isqrt(n) of ``n`` (``first`` odd) in ``parts`` ranges, each
    starting on an odd number."""
    odd_count = max(0, (math.isqrt(n) - first) // 2 + 1)
    edges = [first + 2 * (odd_count * k // parts) for k in range(parts + 1)]
    return [FactorRange(index, n, lo, hi) for lo, hi in itertools.pairwise(edges)]


def has_small_factor(n: int, below: int) -> bool:
    """``n`` has an odd factor from 3 up to ``below`` other than itself (the serial pre-check)."""
    return any(n % factor == 0 and n != factor for factor in range(3, below, 2))


class PrimeCheck(Workload):
    """Each of ``numbers`` checked by ``workers`` ranges at once, told to stop through ``flag``."""

    problem = ("numbers",)
    libraries = ("redis",)

    def __init__(
        self,
        numbers: Sequence[int],
        flag: str,
        check_every: int,
        look: str,
        serial_check_to: int,
        redis_url: str | None,
    ) -> None:
        if not numbers or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers
        ):
            raise ConfigError("numbers", numbers, "a non-empty list of integers >= 0")
        self.numbers = tuple(numbers)
        self.flag = require_choice("flag", flag, FLAGS)
        self.check_every = require_int("check_every", check_every, 1)
        self.look = require_choice("look", look, LOOKS)
        self.serial_check_to = require_int("serial_check_to", serial_check_to, 3)
        if self.serial_check_to % 2 == 0:
            raise ConfigError("serial_check_to", serial_check_to, "an odd integer >= 3")
        self.redis_url = check_redis_url(redis_url)
        self._flags: Any = None
        self._job = ExitStack()  # what prepare() started, closed in close()
        self._ranges: list[FactorRange] = []
        #: the numbers the serial pre-check found a factor of, this run
        self._composite: set[int] = set()

    def __getstate__(self) -> dict[str, Any]:
        """Workers get the parameters only: the flags reach them at their start."""
        return {**self.__dict__, "_flags": None, "_job": None, "_ranges": [], "_composite": set()}

    def prepare(self) -> None:
        count = len(self.numbers)
        if self.flag == "value":
            self._flags = value_flags(count)
        elif self.flag == "rawvalue":
            self._flags = raw_value_flags(count)
        elif self.flag == "manager":
            manager = start_manager(self._job)
            self._flags = manager_flags(manager, count)
        elif self.flag == "mmap":
            directory = temporary_dir("hpexp-flags-", self._job)
            self._flags = MmapFlags(f"{directory}/flags", count)
        elif self.flag == "redis":
            url = redis_url_for(self.redis_url, self._job)
            self._flags = RedisFlags(url, "hpexp:flag", count)

    def close(self) -> None:
        self._flags = None
        self._job.close()

    def shared_state(self) -> Any:
        return self._flags

    def tasks(self, workers: int, seed: int) -> list[FactorRange]:
        if self._flags is not None:
            self._flags.clear()
        below = self.serial_check_to
        self._composite = {
            i for i, n in enumerate(self.numbers) if n % 2 and has_small_factor(n, below)
        }
        self._ranges = [
            r
            for i, n in enumerate(self.numbers)
            if i not in self._composite
            for r in split(i, n, workers, below)
        ]
        return self._ranges

    def run(self, task: FactorRange) -> bool:
        """False if this range holds a factor (or another range found one), else True."""
        n = task.n
        if n < 2:
            return False
        if n % 2 == 0:
            return n == 2
        flags = installed() if self.flag != "none" else None
        if flags is not None and self.look == "block":
            return self._run_in_blocks(task, flags)
        if flags is not None and self.look == "compare":
            return self._run_comparing(task, flags)
        look = self.check_every
        for factor in range(task.start, task.stop, 2):
            if flags is not None:
                look -= 1
                if not look:
                    if flags.is_set(task.index):
                        return False
                    look = self.check_every
            if n % factor == 0:
                if flags is not None:
                    flags.set(task.index)
                return False
        return True

    def _run_comparing(self, task: FactorRange, flags: Any) -> bool:
        """The book's ``mmap2``: each factor compared with the next one at which to look,
        instead of a counter decremented at every factor."""
        n, step = task.n, 2 * self.check_every
        next_look = task.start + step
        for factor in range(task.start, task.stop, 2):
            if factor == next_look:
                if flags.is_set(task.index):
                    return False
                next_look += step
            if n % factor == 0:
                flags.set(task.index)
                return False
        return True

    def _run_in_blocks(self, task: FactorRange, flags: Any) -> bool:
        """The book's "MMap Redux": a plain inner loop per block of ``check_every`` factors,
        the flag read once between blocks."""
        n, step = task.n, 2 * self.check_every
        for block in range(task.start, task.stop, step):
            for factor in range(block, min(task.stop, block + step), 2):
                if n % factor == 0:
                    flags.set(task.index)
                    return False
            if flags.is_set(task.index):
                return False
        return True

    def driver(self, model: Model) -> Driver | None:
        """One number at a time, its ranges spread over the workers (one task per dispatch).

        Greenlets (gevent's child) take the generic path: every range at once.
        """
        return None if model == Model.greenlets else self._number_by_number

    def _number_by_number(self, executor: Any, tasks: Sequence[FactorRange]) -> list[bool]:
        results: list[bool] = []
        for _, ranges in itertools.groupby(tasks, key=lambda r: r.index):
            results.extend(executor.map(self.run, list(ranges), chunksize=1))
        return results

    def reduce(self, results: list[bool]) -> Outcome:
        verdicts = [i not in self._composite for i in range(len(self.numbers))]
        for task, verdict in zip(self._ranges, results, strict=True):
            verdicts[task.index] &= verdict
        expected = [is_prime_reference(n) for n in self.numbers]
        pairs = zip(self.numbers, verdicts, expected, strict=True)
        wrong = [n for n, got, want in pairs if got != want]
        error = f"wrong verdict for {wrong}" if wrong else None
        metrics = {"primes_found": sum(verdicts), "numbers": len(self.numbers)}
        return Outcome(metrics=metrics, units=len(self.numbers), error=error)
