"""SIGKILL of the work horse alone, of the scheduler process, and of the whole worker, each at a
random point of a real render: every order still ends with one video and one email."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from tests.chaos.orders import (
    FAST_CLOCK,
    SMALL,
    horse_pid,
    row,
    verdict,
)
from tests.integration.renders.conftest import upload
from tests.support.worker_process import WorkerProcess, scheduler_pid, wait_for, worker_env

pytestmark = pytest.mark.slow


@pytest.fixture
def workers(app, tmp_path, render_tmp):
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        worker = WorkerProcess(worker_env(app, **FAST_CLOCK), log).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _kill_pgroup(pid: int) -> None:
    """The horse's own process group (Chromium, FFmpeg): a dead horse's leftovers."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _rendering_horse(job_id, worker):
    return row(job_id).status == "rendering" and horse_pid(worker.pid)


def _trial(chaos, client, app, user_factory, auth_headers, clip, worker, redis_conn, kill):
    """One order through ``worker``, hit by ``kill`` mid-render; -> the worker to go on with."""
    user = user_factory()
    job_id = upload(client, auth_headers(user), clip, config=SMALL).json["id"]
    # The fault strikes a random time after the attempt starts: a render of this clip takes
    # several seconds (browser start-up, capture, mux), so 0-4 s lands anywhere in it. (A
    # progress threshold would be missed: progress is written at most once a second.)
    at = chaos.rng.uniform(0, 4)
    horse = wait_for(lambda: _rendering_horse(job_id, worker), timeout=120, interval=0.05,
                     message="the render started")
    time.sleep(at)  # the random delay is the fault's timing, not a wait for a condition
    worker = kill(worker, horse) or worker
    outcome, detail = verdict(job_id, user, Path(app.config["OUTBOX_DIR"]), timeout=240)
    chaos.record(outcome, f"killed {at:.1f} s in: {detail}\n{worker.output()[-1500:]}"
                 if outcome != "once" else "")
    _kill_pgroup(horse)
    return worker


def test_sigkill_work_horse_mid_render(chaos, client, app, user_factory, auth_headers, clip,
                                       workers, redis_conn):
    """RQ sees its horse die, fails the attempt and schedules its retry (the scheduler moves
    it to the queue when due)."""
    def kill(worker, horse):
        with contextlib.suppress(ProcessLookupError):  # the render may end at that instant
            os.kill(horse, signal.SIGKILL)

    worker = workers()
    for _ in range(chaos.trials):
        worker = _trial(chaos, client, app, user_factory, auth_headers, clip, worker, redis_conn,
                        kill)
    chaos.assert_all_once()


def test_sigkill_scheduler_mid_render(chaos, client, app, user_factory, auth_headers, clip,
                                      workers, redis_conn):
    """The render goes on; the worker starts a new scheduler at once."""
    restarted = []

    def kill(worker, horse):
        old = scheduler_pid(redis_conn)
        os.kill(old, signal.SIGKILL)
        restarted.append(wait_for(lambda: (pid := scheduler_pid(redis_conn)) and pid != old and pid,
                                  timeout=15, message="a new scheduler"))

    worker = workers()
    for _ in range(chaos.trials):
        worker = _trial(chaos, client, app, user_factory, auth_headers, clip, worker, redis_conn,
                        kill)
    assert len(restarted) == chaos.trials
    chaos.assert_all_once()


def test_sigkill_whole_worker_mid_render(chaos, client, app, user_factory, auth_headers, clip,
                                         workers, redis_conn):
    """Worker, horse, Chromium and FFmpeg die at once; a new worker is started (as the platform
    restarts a crashed service) and its reconciler starts a new attempt."""
    def kill(worker, horse):
        worker.kill_tree()
        return workers()

    worker = workers()
    for _ in range(chaos.trials):
        worker = _trial(chaos, client, app, user_factory, auth_headers, clip, worker, redis_conn,
                        kill)
    chaos.assert_all_once()
