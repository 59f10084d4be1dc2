"""Run the delay server (:mod:`hpexp.workloads.crawl.server`) in its own process: started,
awaited by polling, and always stopped."""

import selectors
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from hpexp.core.addresses import host_and_port_ok
from hpexp.core.errors import ConfigError
from hpexp.core.processes import stop_child

#: how long the server may take to start and answer its first request
READY_TIMEOUT_S = 30.0
_POLL_S = 0.02


def require_server_url(url: object) -> str | None:
    """A workload's ``url``: None (start the embedded server) or a base URL, without its ``/``."""
    if url is None:
        return None
    if not (
        isinstance(url, str)
        and url.startswith(("http://", "https://"))
        and host_and_port_ok(urlsplit(url), port_required=False)
    ):
        raise ConfigError(
            "url", url, "null (the embedded server) | a base URL like http://host:port"
        )
    return url.rstrip("/")


class ServerError(RuntimeError):
    """The embedded server did not start or did not answer."""


class ServerProcess:
    """The delay server (``--port 0``) as a child process; ``url`` is its base URL.

    The child gets ``--stop-on-eof`` on a pipe only this object holds, so it exits when
    :meth:`stop` runs, when the parent dies, or on Ctrl-C (the same process group gets SIGINT).
    """

    def __init__(self, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        # a file, not a pipe: a server logging many warnings must never block on a full pipe
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hpexp.workloads.crawl.server", "--port", "0", "--stop-on-eof"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        try:
            self.url = self._read_url(time.monotonic() + ready_timeout_s)
            self._wait_until_answering(time.monotonic() + ready_timeout_s)
        except BaseException:
            self.stop()
            raise

    def _read_url(self, deadline: float) -> str:
        """The base URL from the server's ``listening on <url>`` line."""
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(timeout=_POLL_S):
                    line = self.process.stdout.readline()
                    if line.startswith("listening on "):
                        return line.split()[-1]
                    if not line:
                        break
                if self.process.poll() is not None:
                    break
        reason = self._last_error_line() or "no port printed"
        raise ServerError(f"hpexp.server did not start: {reason}")

    def _wait_until_answering(self, deadline: float) -> None:
        """Poll the endpoint until it answers, so no run races the server's start."""
        probe = f"{self.url}/add?name=ready&delay=0"
        while True:
            try:
                with urllib.request.urlopen(probe, timeout=1) as response:
                    response.read()
                    return
            except (urllib.error.URLError, OSError) as exc:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise ServerError(f"hpexp.server at {self.url} did not answer: {exc}") from None
            time.sleep(_POLL_S)

    def _last_error_line(self) -> str:
        """The last line the server wrote on stderr, once it has exited."""
        if self.process.poll() is None:
            return ""
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else ""

    def stop(self) -> None:
        """Close its stdin (it exits), kill it if it lingers, and always reap it."""
        process = self.process
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()
        try:
            stop_child(process)
        finally:
            if process.stdout is not None:
                process.stdout.close()
            self._stderr.close()
