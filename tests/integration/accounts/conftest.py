"""Fixtures of the accounts tests: the fake SendGrid, and running queued jobs in-process."""

from __future__ import annotations

from datetime import datetime

import pytest
from rq import SimpleWorker
from rq.job import Job

from app.extensions import get_redis
from app.tasks.queues import all_queues
from app.tasks.worker import AppWorker, build_worker
from tests.support.fake_sendgrid import fake_sendgrid, fake_sendgrid_server  # noqa: F401

STRONG_PASSWORD = "violet-harbour-lantern-42"


class InProcessWorker(SimpleWorker, AppWorker):
    """The app's worker, performing jobs in this process (no fork) so a test can await them.

    It skips the periodic maintenance tasks: a test runs exactly the jobs it queued.
    """

    def run_maintenance_tasks(self):
        SimpleWorker.run_maintenance_tasks(self)


class JobRunner:
    def __init__(self, app):
        self.app = app

    def run(self) -> None:
        """Perform every job waiting in the queues (not those scheduled for later)."""
        worker = build_worker(self.app, worker_class=InProcessWorker)
        worker.work(burst=True, with_scheduler=False)

    def scheduled(self) -> dict[str, datetime]:
        """Jobs waiting for a retry, with the time each is due."""
        with self.app.app_context():
            due = {}
            for queue in all_queues():
                registry = queue.scheduled_job_registry
                for job_id in registry.get_job_ids():
                    due[job_id] = registry.get_scheduled_time(job_id)
            return due

    def release_scheduled(self) -> int:
        """Enqueue the jobs scheduled for a retry now, as the scheduler will when they are due."""
        with self.app.app_context():
            released = 0
            for queue in all_queues():
                registry = queue.scheduled_job_registry
                for job_id in registry.get_job_ids():
                    queue.enqueue_job(Job.fetch(job_id, connection=get_redis()))
                    registry.remove(job_id)
                    released += 1
            return released

    def failed_job_ids(self) -> list[str]:
        with self.app.app_context():
            return [job_id for q in all_queues() for job_id in q.failed_job_registry.get_job_ids()]

    def queued_count(self) -> int:
        with self.app.app_context():
            return sum(q.count for q in all_queues())


@pytest.fixture
def jobs(app, app_ctx):
    return JobRunner(app)


class AccountClient:
    """Registers and logs in through the API, as a client would."""

    def __init__(self, client):
        self.client = client

    def register(self, email="ada@example.com", password=STRONG_PASSWORD):
        response = self.client.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def login(self, email="ada@example.com", password=STRONG_PASSWORD, **kw):
        return self.client.post("/api/v1/auth/login", json={"email": email, "password": password}, **kw)

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def accounts(client):
    return AccountClient(client)
