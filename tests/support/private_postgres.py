"""A PostgreSQL cluster of one test's own (initdb + pg_ctl on a free port and a temp dir), which
the test may restart at will. The machine's shared PostgreSQL is never stopped or restarted.

The server runs as the ``postgres`` system user when the tests run as root (PostgreSQL refuses
to run as root); the cluster trusts local connections, like the shared one.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg2

from tests.support.gcs_emulator import free_port


def _bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                                                    reverse=True)), None)
    if not found:
        raise RuntimeError(f"{name} not found (Debian's postgresql package provides it)")
    return found


class PrivatePostgres:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.data = workdir / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/waveframe"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> PrivatePostgres:
        if not self.data.exists():
            self.workdir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.workdir, "postgres", "postgres")
            self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--no-sync")
            self._pg_ctl_start()
            self._wait_ready()
            conn = psycopg2.connect(self.url.replace("/waveframe", "/postgres"))
            conn.autocommit = True
            conn.cursor().execute("CREATE DATABASE waveframe")
            conn.close()
            return self
        self._pg_ctl_start()
        self._wait_ready()
        return self

    def _pg_ctl_start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.workdir} "
                   "-c fsync=off -c max_connections=100")
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.workdir / "server.log"), "-w", "-t", "60", "start")

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg2.connect(self.url.replace("/waveframe", "/postgres"), connect_timeout=1).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self, mode: str = "fast") -> None:
        """``fast`` (connections dropped, clean shutdown) or ``immediate`` (a crash)."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)
