"""Redis loses everything (FLUSHALL, or a crash and restart without persistence) while one job
renders, one waits on the queue and one waits for its retry: all three end with one video and
one email. On a private redis-server, never the machine's shared one."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from app.extensions import db, get_redis
from app.models import utcnow
from app.tasks.jobs import fetch_job
from app.tasks.queues import get_queue
from tests.chaos.orders import FAST_CLOCK, FAST_RETRIES, SMALL, row, verdict
from tests.integration.renders.conftest import upload
from tests.support.private_redis import PrivateRedis
from tests.support.worker_process import WorkerProcess, wait_for, worker_env

pytestmark = pytest.mark.slow


class Supervisor(threading.Thread):
    """Starts the worker again whenever it exits, as the platform restarts a crashed service."""

    def __init__(self, start):
        super().__init__(daemon=True)
        self.start_worker, self.halt, self.restarts = start, threading.Event(), 0
        self.current = start()

    def run(self):
        while not self.halt.wait(0.5):
            if self.current.process.poll() is not None:
                self.restarts += 1
                self.current = self.start_worker()


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


def test_redis_flushall_or_restart_with_queued_running_and_scheduled_jobs(
        chaos, make_app, app, private_redis, render_tmp, clip, tmp_path, user_factory,
        auth_headers):
    own = make_app(REDIS_URL=private_redis.url, RATELIMIT_STORAGE_URI=private_redis.url,
                   RENDER_TMP_DIR=str(tmp_path / "render-tmp"), RENDER_RETRY_INTERVALS=FAST_RETRIES)
    started: list[WorkerProcess] = []

    def start_worker() -> WorkerProcess:
        env = worker_env(own, REDIS_URL=private_redis.url, **FAST_CLOCK)
        worker = WorkerProcess(env, tmp_path / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    with own.app_context():
        client = own.test_client()
        supervisor = None
        try:
            for _ in range(chaos.trials):
                users = [user_factory() for _ in range(3)]
                ids = [upload(client, auth_headers(u), clip, config=SMALL).json["id"] for u in users]
                if supervisor is None:
                    supervisor = Supervisor(start_worker)
                    supervisor.start()
                at = chaos.rng.uniform(0, 70)
                running = wait_for(lambda: next((j for j in ids if row(j).status == "rendering"
                                                 and row(j).progress >= at), None),
                                   timeout=120, interval=0.05, message="a render in progress")
                waiting = [j for j in ids if j != running and row(j).status == "queued"]
                scheduled = waiting[-1] if waiting else None
                if scheduled:  # as RQ does for a retry: off the queue, due a little later
                    rq_job = fetch_job(row(scheduled).rq_job_id)
                    queue = get_queue(rq_job.origin)
                    queue.remove(rq_job)
                    queue.schedule_job(rq_job, utcnow() + timedelta(seconds=chaos.rng.uniform(2, 20)))
                fault = chaos.rng.choice(["flushall", "restart"])
                if fault == "flushall":
                    redis.Redis.from_url(private_redis.url).flushall()
                else:
                    private_redis.stop()
                    private_redis.start()
                get_redis().connection_pool.disconnect()
                for job_id, user in zip(ids, users, strict=True):
                    outcome, detail = verdict(job_id, user, Path(own.config["OUTBOX_DIR"]),
                                              timeout=300)
                    role = ("running" if job_id == running else
                            "scheduled" if job_id == scheduled else "queued")
                    chaos.record(outcome, f"{fault}, {role}: {detail}")
        finally:
            if supervisor is not None:
                supervisor.halt.set()
                supervisor.join(timeout=5)
            for worker in started:
                worker.stop()
            db.session.remove()
    chaos.assert_all_once()
