"""A real RQ worker (``python worker.py``) in a subprocess, on the test run's database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def worker_env(app, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=os.environ["TEST_DATABASE_URL"], REDIS_URL=os.environ["TEST_REDIS_URL"],
        REDIS_KEY_PREFIX=app.config["REDIS_KEY_PREFIX"], APP_ENV="development",
        STORAGE_LOCAL_ROOT=app.config["STORAGE_LOCAL_ROOT"], OUTBOX_DIR=app.config["OUTBOX_DIR"],
        RENDER_TMP_DIR=app.config.get("RENDER_TMP_DIR") or "", CHROMIUM_PATH=app.config["CHROMIUM_PATH"],
        STRIPE_SECRET_KEY="", SENDGRID_API_KEY="", STORAGE_BACKEND="local", LOG_FORMAT="json",
        FRONTEND_URL=app.config["FRONTEND_URL"])
    env.update(extra)
    return env


def process_tree(pid: int) -> list[int]:
    """``pid``'s descendants (children first found by walking /proc), not ``pid`` itself."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path, *, burst: bool = False):
        self.env, self.log_path, self.burst = env, log_path, burst
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        args = [sys.executable, "worker.py"] + (["--burst"] if self.burst else [])
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def kill_tree(self) -> None:
        """SIGKILL the worker, its work horse, Chromium and FFmpeg at once (a machine dying)."""
        victims = [self.pid, *process_tree(self.pid)]
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.wait(timeout=10)

    def stop(self, timeout: float = 20.0) -> None:
        """Warm shutdown (SIGTERM), then a second SIGTERM, then SIGKILL of the whole tree."""
        if self.process is None or self.process.poll() is not None:
            self._close()
            return
        for _ in range(2):
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout / 2)
                break
            except subprocess.TimeoutExpired:
                continue
        if self.process.poll() is None:
            self.kill_tree()
        self._close()

    def _close(self) -> None:
        if getattr(self, "log", None) is not None:
            self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def scheduler_pid(redis_conn) -> int | None:
    """The pid of a living RQ scheduler child registered in Redis (``rq:scheduler:<name>``)."""
    for key in redis_conn.keys("rq:scheduler:*"):
        pid = redis_conn.hget(key, "pid")
        if pid and Path(f"/proc/{int(pid)}").exists():
            return int(pid)
    return None


def wait_for(condition, *, timeout: float, interval: float = 0.2, message: str = "condition"):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout} s")
        time.sleep(interval)
