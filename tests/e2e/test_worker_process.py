"""The real worker process: queue priority order, warm shutdown, health check, periodic tasks."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from rq.job import Job, JobStatus

from app.extensions import redis_client
from app.tasks.queues import all_queues
from app.tasks.schedule import periodic_tasks
from tests.support import sample_tasks
from tests.support.worker_process import WorkerProcess, process_tree, scheduler_pid
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


# -- the worker's clock runs whatever the dequeue loop does -------------------------------------

def _finished(redis_conn, func_path: str) -> int:
    registry = next(q for q in all_queues() if q.name == "high").finished_job_registry
    return sum(1 for job_id in registry.get_job_ids()
               if Job.fetch(job_id, connection=redis_conn).func_name == func_path)


def test_an_idle_worker_runs_the_reconciler_at_its_period(redis_conn, app, tmp_path):
    """RQ blocks an idle worker on the queues for minutes; the reconciler must not wait for it."""
    period = 2
    env = process_env(app, RENDER_RECONCILE_EVERY_SECONDS=str(period))
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    reconcile = "app.renders.maintenance.reconcile_renders"
    try:
        wait_until(lambda: _finished(redis_conn, reconcile) >= 1, timeout=60)
        first = _finished(redis_conn, reconcile)
        started = time.monotonic()
        # two more periods, with a margin for a loaded machine (the bug: ~405 s)
        wait_until(lambda: _finished(redis_conn, reconcile) >= first + 2, timeout=2 * period + 15)
        assert time.monotonic() - started < 2 * period + 15
        assert worker.process.poll() is None
    finally:
        worker.stop()


def _first_scheduler(redis_conn, worker: WorkerProcess) -> int:
    try:
        return wait_until_value(lambda: scheduler_pid(redis_conn), timeout=60)
    except AssertionError:
        raise AssertionError("no scheduler registered in 60 s; worker log:\n"
                             + worker.output()[-4000:]) from None


def _retry_runs_on_a_new_scheduler(redis_conn, worker: WorkerProcess, old_pid: int, *, due: float,
                                   replaced_within: float) -> None:
    """A retry due in ``due`` s runs: a scheduler other than ``old_pid``, a child of the worker,
    took over within ``replaced_within`` s and moved it to the queue."""
    queue = next(q for q in all_queues() if q.name == "default")
    queue.enqueue_in(timedelta(seconds=due), sample_tasks.record, "retried")
    new_pid = wait_until_value(
        lambda: (pid := scheduler_pid(redis_conn)) and pid != old_pid and pid, timeout=replaced_within)
    assert new_pid in process_tree(worker.pid)
    order = redis_client.key("sample", "order")
    wait_until(lambda: redis_conn.lrange(order, 0, -1) == [b"retried"], timeout=due + 15)


def test_a_killed_scheduler_is_restarted_and_a_retry_moves_on_time(redis_conn, worker_env, tmp_path):
    worker = WorkerProcess(worker_env, tmp_path / "worker.log").start()
    try:
        old_pid = _first_scheduler(redis_conn, worker)
        os.kill(old_pid, signal.SIGKILL)
        # a retry due in 3 s, scheduled while no scheduler process is alive
        _retry_runs_on_a_new_scheduler(redis_conn, worker, old_pid, due=3, replaced_within=15)
        assert "scheduler_restarted" in worker.output()
    finally:
        worker.stop()


def test_a_hung_scheduler_is_replaced_and_a_retry_moves_on_time(redis_conn, app, tmp_path):
    """A scheduler child alive but frozen (SIGSTOP: as a deadlocked child) stops heartbeating;
    the worker kills it after WORKER_SCHEDULER_STALL_SECONDS and starts a new one."""
    stall = 3
    env = process_env(app, WORKER_SCHEDULER_STALL_SECONDS=str(stall))
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    old_pid = None
    try:
        old_pid = _first_scheduler(redis_conn, worker)
        os.kill(old_pid, signal.SIGSTOP)
        _retry_runs_on_a_new_scheduler(redis_conn, worker, old_pid, due=2, replaced_within=stall + 15)
        assert old_pid not in process_tree(worker.pid)  # killed and reaped, not left frozen
        assert "scheduler_stalled" in worker.output()
        assert "scheduler_restarted" in worker.output()
    finally:
        with contextlib.suppress(ProcessLookupError, TypeError):
            os.kill(old_pid, signal.SIGCONT)  # lets a stop() of a failed run end it warmly
        worker.stop()


def wait_until_value(condition, timeout=60.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
