"""Servers a test starts itself: a free port each (bound to port 0), and every variable they read.

A process started by a test inherits the caller's environment only for what is not about
services: every variable that names a broker, a cache, a database or a deploy profile is
removed and set again from what the test chose, so a ``CELERY_BROKER_URL`` or ``REDIS_URL`` in
the caller's shell can never point a test's worker at someone else's Redis (issue 13, item 12).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Everything a ReturnPath process reads about where its services are or how it is deployed.
SERVICE_PREFIXES = ("CELERY_", "REDIS_", "DATABASE_", "DJANGO_", "RETURNPATH_", "GUNICORN_", "EMAIL_", "WEB_CONCURRENCY")


def free_port() -> int:
    """A port nobody listens on now (the kernel picks it: bind to port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, timeout: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def database_url(settings_dict: dict) -> str:
    """The URL of the (test) database the current connection uses."""
    user = settings_dict["USER"] or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


def clean_env(**chosen: str) -> dict[str, str]:
    """The caller's environment without any service variable, plus exactly what the test chose."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_PREFIXES)}
    env.update({"DJANGO_SETTINGS_MODULE": "returnpath.settings", "PYTHONUNBUFFERED": "1"})
    env.update(chosen)
    return env


def stop(process: subprocess.Popen | None, sig: int = signal.SIGKILL) -> None:
    """Stop one process this test started, by its pid."""
    if process is not None and process.poll() is None:
        os.kill(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class OwnRedis:
    """A redis-server this test starts on a free port, kills (SIGKILL) and restarts empty, by pid."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # The same port again after a restart (clients reconnect to it); a fresh one the first time.
        for _attempt in range(5):
            port = self.port or free_port()
            self.process = subprocess.Popen(
                [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.workdir), "--maxmemory-policy", "noeviction"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.process.poll() is None and not listening(port):
                time.sleep(0.02)
            if self.process.poll() is None and listening(port):
                self.port = port
                return
            stop(self.process)
        raise AssertionError("could not start a redis-server on a free port")

    def kill(self) -> None:
        stop(self.process)
        wait_for(lambda: not listening(self.port), 10, "redis to stop")

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)
