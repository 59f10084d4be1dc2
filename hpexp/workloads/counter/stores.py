"""Where the counter lives, and how one worker adds 1 to it, with a lock or without.

Every store is created once per job in the main process, handed to each worker as it starts,
and reset before each run. Without a lock, ``read, add, write`` by two workers at once loses
one of the two updates: the lesson, counted as ``lost_updates``.
"""

import multiprocessing
import os
from typing import Any

from hpexp.workloads.ipc import RedisHandle


def _number(text: str) -> int:
    """The counter in the file's text. Unlocked, one process's ``truncate()`` can run after
    another shortened the file and so extend it with NUL bytes (``'75\\x00'``): that is the
    race the unlocked store shows, so the NULs are read as nothing, not as an error."""
    return int(text.replace("\x00", "") or 0)


class FileCounter:
    """A number in a text file; the lock is an inter-process file lock (``fasteners``)."""

    def __init__(self, directory: str) -> None:
        self.path = os.path.join(directory, "counter.txt")
        self.lock_path = os.path.join(directory, "counter.lock")

    def reset(self) -> None:
        with open(self.path, "w") as f:
            f.write("0")

    def read(self) -> int:
        with open(self.path) as f:
            return _number(f.read())

    def _add_one(self) -> None:
        with open(self.path, "r+") as f:
            value = _number(f.read())
            f.seek(0)
            f.write(str(value + 1))
            f.truncate()

    def add(self, times: int, locked: bool) -> None:
        if not locked:
            for _ in range(times):
                self._add_one()
            return
        import fasteners

        lock = fasteners.InterProcessLock(self.lock_path)
        for _ in range(times):
            with lock:
                self._add_one()


class SharedValueCounter:
    """An object with ``.value`` shared by every worker, and the lock a locked update holds.

    ``multiprocessing.Value('i')`` locks each read and each write on its own, so ``value += 1``
    is two locked steps, not one (its ``get_lock()`` guards the whole update);
    ``multiprocessing.RawValue('i')`` has no lock (a separate ``multiprocessing.Lock``); a
    ``Manager().Value`` makes each read and write a round trip to the manager process.
    """

    def __init__(self, value: Any, lock: Any) -> None:
        self.value, self.lock = value, lock

    def reset(self) -> None:
        self.value.value = 0

    def read(self) -> int:
        return self.value.value

    def add(self, times: int, locked: bool) -> None:
        value = self.value
        if not locked:
            for _ in range(times):
                value.value += 1
            return
        for _ in range(times):
            with self.lock:
                value.value += 1


def value_counter() -> SharedValueCounter:
    value = multiprocessing.Value("i", 0)
    return SharedValueCounter(value, value.get_lock())


def raw_value_counter() -> SharedValueCounter:
    return SharedValueCounter(multiprocessing.RawValue("i", 0), multiprocessing.Lock())


def manager_counter(manager: Any) -> SharedValueCounter:
    return SharedValueCounter(manager.Value("i", 0), manager.Lock())


class RedisCounter(RedisHandle):
    """A redis key: ``INCR`` (atomic in the server) when locked, ``GET`` then ``SET`` when not."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(url)
        self.key = key

    def reset(self) -> None:
        self.client.set(self.key, 0)

    def read(self) -> int:
        return int(self.client.get(self.key) or 0)

    def add(self, times: int, locked: bool) -> None:
        client, key = self.client, self.key
        if locked:
            for _ in range(times):
                client.incr(key)
            return
        for _ in range(times):
            client.set(key, int(client.get(key) or 0) + 1)
