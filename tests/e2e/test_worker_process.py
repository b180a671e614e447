"""The real worker process: queue priority order, warm shutdown, health check, periodic tasks."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq.job import Job, JobStatus

from app.extensions import redis_client
from app.tasks.queues import get_queue
from app.tasks.schedule import PeriodicTask, enqueue_due_tasks
from tests.support import sample_tasks
from tests.support.worker_process import worker_env as process_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_env(app, test_services):
    return process_env(app)


def wait_until(condition, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def test_worker_takes_high_then_default_then_low(redis_conn, worker_env):
    for label, queue in [("low", "low"), ("default", "default"), ("high", "high")]:
        sample_tasks.record.enqueue(label, queue=queue)
    result = subprocess.run([sys.executable, "worker.py", "--burst"], cwd=ROOT, env=worker_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    order = [v.decode() for v in redis_conn.lrange(redis_client.key("sample", "order"), 0, -1)]
    assert order == ["high", "default", "low"]


def test_sigterm_lets_the_running_job_finish_then_exits(redis_conn, worker_env):
    release = redis_client.key("sample", "release")
    job = sample_tasks.wait_for_release.enqueue(release)
    worker = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=worker_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: redis_conn.exists(redis_client.key("sample", "started")))
        worker.send_signal(signal.SIGTERM)
        # warm shutdown: the worker waits for the job instead of exiting
        with pytest.raises(subprocess.TimeoutExpired):
            worker.wait(timeout=1.0)
        redis_conn.set(release, "1")
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    job = Job.fetch(job.id, connection=redis_conn)
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == "released"


def test_worker_health_fails_only_when_jobs_wait_without_a_worker(runner, redis_conn):
    assert runner.invoke(args=["worker-health"]).exit_code == 0
    sample_tasks.record.enqueue("waiting")
    result = runner.invoke(args=["worker-health"])
    assert result.exit_code == 1
    assert "jobs waiting: 1" in result.output


def test_periodic_tasks_are_enqueued_once_per_period(redis_conn):
    entry = PeriodicTask("tests.support.sample_tasks.tick", every_seconds=60)
    assert enqueue_due_tasks([entry]) == ["tests.support.sample_tasks.tick"]
    assert enqueue_due_tasks([entry]) == []  # a second worker in the same period adds nothing
    assert get_queue("low").count == 1
