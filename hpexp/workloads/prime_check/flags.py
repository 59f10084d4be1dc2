"""One flag per number, in each kind of shared store the book compares: a worker that finds a
factor of number ``i`` sets flag ``i``; the others look at it every ``check_every`` factors.

Every flag store is created once per job in the main process, handed to each worker at its
start, and cleared before each run.
"""

import mmap
import multiprocessing
import os
from typing import Any

from hpexp.workloads.ipc import RedisHandle


class ArrayFlags:
    """``multiprocessing.Array('b')`` (each access takes its lock), ``RawArray('b')`` (none),
    or a Manager's list (each access a round trip to the manager process)."""

    def __init__(self, flags: Any) -> None:
        self.flags = flags

    def clear(self) -> None:
        for index in range(len(self.flags)):
            self.flags[index] = 0

    def is_set(self, index: int) -> bool:
        return bool(self.flags[index])

    def set(self, index: int) -> None:
        self.flags[index] = 1


def value_flags(count: int) -> ArrayFlags:
    return ArrayFlags(multiprocessing.Array("b", count))


def raw_value_flags(count: int) -> ArrayFlags:
    return ArrayFlags(multiprocessing.RawArray("b", count))


def manager_flags(manager: Any, count: int) -> ArrayFlags:
    return ArrayFlags(manager.list([0] * count))


class MmapFlags:
    """One byte per number in a memory-mapped file, mapped once by each worker (the book's
    ``mmap`` version maps anonymous memory, which only a forked child inherits)."""

    def __init__(self, path: str, count: int) -> None:
        self.path, self.count = path, count
        with open(path, "wb") as f:
            f.write(bytes(count))
        self._map: mmap.mmap | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_map": None}

    @property
    def map(self) -> mmap.mmap:
        if self._map is None:
            fd = os.open(self.path, os.O_RDWR)
            try:
                self._map = mmap.mmap(fd, self.count)
            finally:
                os.close(fd)
        return self._map

    def clear(self) -> None:
        self.map[:] = bytes(self.count)

    def is_set(self, index: int) -> bool:
        return self.map[index] == 1

    def set(self, index: int) -> None:
        self.map[index] = 1


class RedisFlags(RedisHandle):
    """Keys ``<prefix>:<index>`` on a redis server; each look is a ``GET``."""

    def __init__(self, url: str, prefix: str, count: int) -> None:
        super().__init__(url)
        self.prefix, self.count = prefix, count

    def clear(self) -> None:
        self.client.delete(*(f"{self.prefix}:{i}" for i in range(self.count)))

    def is_set(self, index: int) -> bool:
        return self.client.get(f"{self.prefix}:{index}") == b"1"

    def set(self, index: int) -> None:
        self.client.set(f"{self.prefix}:{index}", 1)
