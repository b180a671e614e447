"""A Redis server of one test's own, which the test may stop and start at will.

The machine's shared Redis is never stopped or flushed by a test: a test that needs Redis to go
away points its app at one of these instead.

- ``persistent=False`` (default): no AOF/RDB, and ``stop()`` kills it (SIGKILL), so a restart
  comes back empty, as a Redis without persistence does after a crash.
- ``persistent=True``: an append-only file fsynced on every write and a graceful stop, so data
  written before an outage is back after it (an outage, not a data loss).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis

from tests.support.gcs_emulator import free_port


class PrivateRedis:
    def __init__(self, workdir: Path, *, persistent: bool = False):
        self.workdir = workdir
        self.persistent = persistent
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 30.0) -> PrivateRedis:
        self.workdir.mkdir(parents=True, exist_ok=True)
        persistence = (["--appendonly", "yes", "--appendfsync", "always"] if self.persistent
                       else ["--appendonly", "no"])
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             *persistence, "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    if probe.ping():
                        return self
                except redis.ConnectionError:
                    pass
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server did not start on port {self.port}")
                time.sleep(0.05)
        finally:
            probe.close()

    def stop(self) -> None:
        """Stop the server and wait until it is gone: SIGKILL (a crash) unless persistent."""
        if self.process is not None and self.process.poll() is None:
            if self.persistent:
                self.process.terminate()
            else:
                self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
