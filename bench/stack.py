"""The private stack of ``make load`` and ``make soak``, on loopback only.

A Postgres database and a Redis db number of its own (claimed and removed exactly as the test
suite does, ``tests/support/services.py``), migrated with ``flask db upgrade``; gunicorn started
with the web command of the ``Procfile`` (bind swapped for a free loopback port); an RQ worker
(``python worker.py``); process memory read from ``/proc``.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.services import REDIS_BASE, TestServices, claim_redis_db, create_database  # noqa: E402

HOST = "127.0.0.1"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def procfile_web_args(app_spec: str, port: int, extra: list[str] = ()) -> list[str]:
    """The Procfile's ``web`` command as argv, bound to ``HOST:port`` and serving ``app_spec``."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines()
                if line.startswith("web:"))
    command = line.split(":", 1)[1]
    command = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m.group(1), m.group(2)), command)
    args = shlex.split(command)
    assert args[0] == "gunicorn", args
    args[0] = str(BIN / "gunicorn")
    args = [app_spec if a == "wsgi:app" else a for a in args]
    bind = args.index("--bind")
    args[bind + 1] = f"{HOST}:{port}"
    return [*args, *extra]


class Stack:
    """Database, Redis db, data folders and the processes of one bench run; ``close`` removes all."""

    def __init__(self, suffix: str = "_load", **env: str):
        self.tmp = Path(tempfile.mkdtemp(prefix="waveframe-bench-"))
        database_url = create_database(suffix)
        redis_db = claim_redis_db()
        self.services = TestServices(database_url, f"{REDIS_BASE}/{redis_db}", True, redis_db)
        self.env = dict(os.environ)
        self.env.update(
            APP_ENV="development", DATABASE_URL=database_url, REDIS_URL=self.services.redis_url,
            REDIS_KEY_PREFIX="waveframe-bench:", RATELIMIT_ENABLED="0",
            SECRET_KEY=uuid.uuid4().hex * 2, JWT_SECRET_KEY=uuid.uuid4().hex * 2,
            STORAGE_BACKEND="local", STORAGE_LOCAL_ROOT=str(self.tmp / "storage"),
            OUTBOX_DIR=str(self.tmp / "outbox"), RENDER_TMP_DIR=str(self.tmp / "render-tmp"),
            STRIPE_SECRET_KEY="", SENDGRID_API_KEY="", LOG_FORMAT="json", FLASK_APP="wsgi.py",
            PYTHONUNBUFFERED="1")
        self.env.update(env)
        (self.tmp / "render-tmp").mkdir()
        self.processes: list[subprocess.Popen] = []
        subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self, args: list[str], log_name: str, **env: str) -> subprocess.Popen:
        log = open(self.tmp / log_name, "ab")
        process = subprocess.Popen(args, cwd=ROOT, env={**self.env, **env}, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def gunicorn(self, app_spec: str, port: int, log_name: str, **env: str) -> subprocess.Popen:
        extra = ["--pythonpath", str(ROOT / "bench")] if app_spec.startswith("hello_app") else []
        return self.start(procfile_web_args(app_spec, port, extra), log_name, **env)

    def worker(self, log_name: str = "worker.log") -> subprocess.Popen:
        return self.start([sys.executable, "worker.py"], log_name)

    def stop(self, process: subprocess.Popen, timeout: float = 30.0) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        if process in self.processes:
            self.processes.remove(process)

    def close(self) -> None:
        for process in list(self.processes):
            self.stop(process)
        self.services.close()
        subprocess.run(["rm", "-rf", str(self.tmp)], check=False)


# -- memory --------------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    """Direct children of ``pid``."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        found = []
        for task in tasks:
            found += [int(c) for c in (task / "children").read_text().split()]
        return found
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pids) -> float:
    """User + system CPU time of ``pids`` (those still alive) in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_backends(database: str) -> list[int]:
    """The Postgres server processes serving ``database`` (their title names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                found.append(int(entry.name))
    return found


def wait_for(predicate, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)
