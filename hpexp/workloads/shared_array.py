"""The book's numpy-in-shared-memory example (chapter 9): workers fill and sum slices of one
float array, and ``share`` decides how the numbers reach the parent.

* ``pickle``: each worker makes its slice and returns it: every byte is pickled back;
* ``shared_memory``: one ``multiprocessing.shared_memory.SharedMemory`` block the workers attach
  to by name and fill in place; only each slice's sum travels;
* ``rawarray``: a ``multiprocessing.RawArray('d')`` handed to each worker at its start.

Element ``i`` is ``i / 2``, so the checksum is known exactly: ``size (size - 1) / 4``.
"""

import itertools
import os
from dataclasses import dataclass
from multiprocessing import RawArray, resource_tracker, shared_memory
from typing import Any

import numpy as np

from hpexp.core.errors import require_choice, require_int
from hpexp.core.shared import installed
from hpexp.core.workload import Outcome, Workload

SHARES = ("pickle", "shared_memory", "rawarray")
ITEM_BYTES = 8


def memory_items() -> int:
    """The most floats this machine's memory holds: a bigger array fails only once allocated."""
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // ITEM_BYTES


def fill(out: np.ndarray, start: int) -> None:
    """Element ``start + k`` of the array is ``(start + k) / 2``."""
    np.multiply(np.arange(start, start + len(out), dtype=np.float64), 0.5, out=out)


@dataclass
class SharedBlock:
    """What a worker needs to find the array: a shared-memory block's name, or a RawArray."""

    size: int
    name: str | None = None
    raw: Any = None


_attached: dict[str, shared_memory.SharedMemory] = {}


def view(block: SharedBlock) -> np.ndarray:
    """The whole array, attached once per worker process."""
    if block.raw is not None:
        return np.frombuffer(block.raw, dtype=np.float64, count=block.size)
    assert block.name is not None
    memory = _attached.get(block.name)
    if memory is None:
        memory = shared_memory.SharedMemory(block.name)
        # the parent owns the block: a worker that registered it would unlink it on exit
        resource_tracker.unregister(memory._name, "shared_memory")  # type: ignore[attr-defined]
        _attached[block.name] = memory
    return np.ndarray(block.size, dtype=np.float64, buffer=memory.buf)


class SharedArray(Workload):
    """``size`` floats in ``chunks`` slices (null = workers), moved as ``share`` says."""

    problem = ("size",)
    libraries = ("numpy",)

    def __init__(self, size: int, share: str, chunks: int | None):
        self.size = require_int("size", size, 1, memory_items())
        self.share = require_choice("share", share, SHARES)
        self.chunks = None if chunks is None else require_int("chunks", chunks, 1, self.size)
        self._memory: shared_memory.SharedMemory | None = None
        self._block: SharedBlock | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_memory": None, "_block": None}

    def describe(self, workers: int) -> dict[str, Any]:
        return {"chunks": self.chunks or workers}

    def prepare(self) -> None:
        if self.share == "shared_memory":
            self._memory = shared_memory.SharedMemory(create=True, size=self.size * ITEM_BYTES)
            self._block = SharedBlock(self.size, name=self._memory.name)
            _attached[self._memory.name] = self._memory  # this process (and forks) use it as is
        elif self.share == "rawarray":
            self._block = SharedBlock(self.size, raw=RawArray("d", self.size))

    def close(self) -> None:
        self._block = None
        if self._memory is not None:
            _attached.pop(self._memory.name, None)
            self._memory.close()
            self._memory.unlink()
            self._memory = None

    def shared_state(self) -> Any:
        return self._block

    def tasks(self, workers: int, seed: int) -> list[tuple[int, int]]:
        count = min(self.chunks or workers, self.size)
        edges = np.linspace(0, self.size, count + 1).astype(int)
        if self._block is not None:
            view(self._block)[:] = 0.0  # a run that fills nothing must not pass on old data
        return [(int(lo), int(hi)) for lo, hi in itertools.pairwise(edges)]

    def run(self, task: tuple[int, int]) -> Any:
        start, stop = task
        if self.share == "pickle":
            out = np.empty(stop - start, dtype=np.float64)
            fill(out, start)
            return out
        out = view(installed())[start:stop]
        fill(out, start)
        return float(out.sum())

    def reduce(self, results: list[Any]) -> Outcome:
        expected = self.size * (self.size - 1) / 4
        if self.share == "pickle":
            whole = np.concatenate(results) if results else np.empty(0)
            moved = whole.nbytes
            slices_sum = float(whole.sum())
        else:
            assert self._block is not None
            whole = view(self._block)
            moved = ITEM_BYTES * len(results)
            slices_sum = float(sum(results))
        checksum = float(whole.sum())
        error = None
        if len(whole) != self.size or checksum != expected or slices_sum != expected:
            error = f"checksum {checksum!r} (slices {slices_sum!r}), expected {expected!r}"
        metrics = {"checksum": checksum, "bytes_moved": moved}
        return Outcome(metrics=metrics, units=self.size, error=error)
