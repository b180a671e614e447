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
from app.tasks.queues import all_queues
from app.tasks.schedule import periodic_tasks
from tests.support import sample_tasks
from tests.support.worker_process import WorkerProcess
from tests.support.worker_process import worker_env as process_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_env(app, test_services):
    return process_env(app)


def wait_until(condition, timeout=60.0, interval=0.05):
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
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    order = [v.decode() for v in redis_conn.lrange(redis_client.key("sample", "order"), 0, -1)]
    assert order == ["high", "default", "low"]


def test_sigterm_lets_the_running_job_finish_then_exits(redis_conn, worker_env, tmp_path):
    release = redis_client.key("sample", "release")
    job = sample_tasks.wait_for_release.enqueue(release)
    worker = WorkerProcess(worker_env, tmp_path / "worker.log").start()
    try:
        wait_until(lambda: redis_conn.exists(redis_client.key("sample", "started")))
        worker.process.send_signal(signal.SIGTERM)
        # warm shutdown: the worker has taken the signal and waits for the job instead of exiting
        wait_until(lambda: "warm shut down requested" in worker.output().lower(), timeout=30)
        assert worker.process.poll() is None
        assert Job.fetch(job.id, connection=redis_conn).get_status() == JobStatus.STARTED
        redis_conn.set(release, "1")
        assert worker.wait(timeout=30) == 0
    finally:
        worker.stop()
    job = Job.fetch(job.id, connection=redis_conn)
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == "released"


def test_worker_health_fails_only_when_jobs_wait_without_a_worker(runner, redis_conn):
    assert runner.invoke(args=["worker-health"]).exit_code == 0
    sample_tasks.record.enqueue("waiting")
    result = runner.invoke(args=["worker-health"])
    assert result.exit_code == 1
    assert "jobs waiting: 1" in result.output


def test_a_worker_runs_each_periodic_task_once_per_period(app, redis_conn, worker_env):
    """The worker's own maintenance hook enqueues the periodic tasks (nothing else does here);
    a second worker run within the period enqueues none of them again."""
    for _run in range(2):
        result = subprocess.run([sys.executable, "worker.py", "--burst"], cwd=ROOT, env=worker_env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
    ran: dict[str, list[str]] = {}
    for queue in all_queues():
        for job_id in queue.finished_job_registry.get_job_ids():
            ran.setdefault(queue.name, []).append(Job.fetch(job_id, connection=redis_conn).func_name)
    expected: dict[str, list[str]] = {}
    for entry in periodic_tasks(app):
        expected.setdefault(entry.task.task_options.queue, []).append(entry.func_path)
    assert {name: sorted(funcs) for name, funcs in ran.items()} == {
        name: sorted(funcs) for name, funcs in expected.items()}
    assert sum(queue.count for queue in all_queues()) == 0
