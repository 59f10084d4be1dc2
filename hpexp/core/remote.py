"""A task's exception as it crosses from a worker process to hpexp, with its traceback.

An exception pickles without its traceback, so the parent would report where it re-raised
the error, not where the task failed. As the stdlib's ``concurrent.futures`` does
(``_ExceptionWithTraceback``), the worker sends the traceback's text beside the exception,
and the parent raises the exception with that text as its cause: the job's
``traceback.txt`` shows the worker's frames.
"""

import pickle
import traceback
from typing import NamedTuple, NoReturn

from hpexp.core.errors import one_line


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, as its text."""

    def __str__(self) -> str:
        return self.args[0]


class Failure(NamedTuple):
    """A task's exception, and where in the worker it was raised."""

    exc: BaseException
    traceback: str = ""

    @classmethod
    def of(cls, exc: BaseException) -> "Failure":
        """In the worker: ``exc`` and its traceback; an exception that cannot be pickled
        travels as a RuntimeError with its first line."""
        text = "".join(traceback.format_exception(exc))
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(one_line(exc))
        return cls(exc, text)

    def raised(self) -> NoReturn:
        """In hpexp's process: raise the task's exception, the worker's traceback its cause."""
        if self.traceback:
            self.exc.__cause__ = RemoteTraceback(f'\n"""\n{self.traceback}"""')
        raise self.exc
