"""The interpreter executor's worker, run by another Python (``pypy3 worker.py``).

It imports nothing but the standard library of Python 3.8 and later, so any interpreter runs
it: PyPy, a free-threaded CPython, an older CPython. It reads one JSON request per line on
stdin and writes one JSON reply per line on stdout:

- first, unasked, ``{"implementation": ..., "version": ..., "gil_enabled": ...}``;
- ``{"source": ..., "name": ..., "args": [...], "kwargs": {...}}``: define the function
  ``name`` from its ``source`` (once per distinct source, so a JIT keeps what it learned),
  call it, and reply ``{"result": ...}`` or ``{"error": ..., "type": ..., "traceback": ...}``.

End of input ends the worker; so does its parent's death (hpexp killed by SIGKILL).
"""

import json
import linecache
import os
import platform
import sys
import threading
import time
import traceback

WATCH_S = 0.5


def exit_with_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def describe() -> dict:
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
    return {
        "implementation": sys.implementation.name,
        "version": platform.python_version(),
        "gil_enabled": gil_enabled,
    }


def serve(requests, replies) -> None:
    functions = {}
    for line in requests:
        request = json.loads(line)
        source = request["source"]
        try:
            if source not in functions:
                filename = "<hpexp task " + request["name"] + ">"
                # the source's lines, so a traceback shows them as it shows a file's
                linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
                namespace = {"__name__": "hpexp_task"}
                exec(compile(source, filename, "exec"), namespace)
                functions[source] = namespace[request["name"]]
            reply = json.dumps({"result": functions[source](*request["args"], **request["kwargs"])})
        except Exception as exc:  # the task's, or a result JSON cannot carry
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            reply = json.dumps({"error": str(exc), "type": type(exc).__name__, "traceback": text})
        replies.write(reply + "\n")
        replies.flush()


if __name__ == "__main__":
    exit_with_parent()
    sys.stdout.write(json.dumps(describe()) + "\n")
    sys.stdout.flush()
    serve(sys.stdin, sys.stdout)
