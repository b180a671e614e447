"""Run queued jobs in the test process, so a test can perform exactly the jobs it queued.

The worker is the app's own (``AppWorker``: app context, periodic tasks off) but does not
fork, so the test awaits the result. Tests of the real worker process use
``tests/support/worker_process.py`` instead.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from rq import SimpleWorker
from rq.job import Job

from app.extensions import get_redis
from app.tasks.queues import all_queues
from app.tasks.worker import AppWorker, build_worker


class InProcessWorker(SimpleWorker, AppWorker):
    """The app's worker performing jobs in this process, without the periodic maintenance."""

    def run_maintenance_tasks(self):
        SimpleWorker.run_maintenance_tasks(self)


class JobRunner:
    def __init__(self, app: Flask):
        self.app = app

    def run(self) -> None:
        """Perform every job waiting in the queues (not those scheduled for later)."""
        build_worker(self.app, worker_class=InProcessWorker).work(burst=True, with_scheduler=False)

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
