"""The RQ worker process: listens to high, default, low in that order, with the scheduler.

SIGTERM asks for a warm shutdown (the current job finishes; a second signal stops at once);
a job that overruns its timeout is killed by RQ's death penalty. Each job runs inside an app
context in a freshly forked work horse with its own database connections.
"""

from __future__ import annotations

import logging
import os

from flask import Flask
from rq import Worker

from app.extensions import db, get_redis
from app.tasks.queues import all_queues
from app.tasks.schedule import enqueue_due_tasks

log = logging.getLogger(__name__)

MAINTENANCE_INTERVAL = 60  # seconds between maintenance passes (registries + periodic tasks)


class AppWorker(Worker):
    """An RQ worker bound to a Flask app."""

    app: Flask
    parent_pid: int

    def perform_job(self, job, queue):
        if os.getpid() != self.parent_pid:
            # A forked horse must not reuse the parent's pooled connections.
            db.engine.dispose(close=False)
        with self.app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()

    def run_maintenance_tasks(self):
        with self.app.app_context():  # RQ's registry cleanup runs failure callbacks of lost jobs
            super().run_maintenance_tasks()
            try:
                enqueue_due_tasks()
            except Exception:  # a maintenance hiccup must not stop the worker
                log.exception("periodic_enqueue_failed")


def build_worker(app: Flask, *, worker_class: type[AppWorker] = AppWorker,
                 name: str | None = None) -> AppWorker:
    with app.app_context():
        worker = worker_class(all_queues(), connection=get_redis(), name=name,
                              maintenance_interval=MAINTENANCE_INTERVAL)
    worker.app = app
    worker.parent_pid = os.getpid()
    return worker


def run_worker(app: Flask, *, burst: bool = False, with_scheduler: bool = True,
               worker_class: type[AppWorker] = AppWorker) -> bool:
    worker = build_worker(app, worker_class=worker_class)
    log.info("worker_starting", extra={"queues": [q.name for q in worker.queues], "burst": burst})
    with app.app_context():
        return worker.work(burst=burst, with_scheduler=with_scheduler,
                           logging_level=app.config["LOG_LEVEL"])
