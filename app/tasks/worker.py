"""The RQ worker process: listens to high, default, low in that order, with the scheduler.

A ticker thread (``app.tasks.ticker``) enqueues the periodic tasks at their period and restarts
a dead scheduler child, independently of RQ's dequeue loop. SIGTERM asks for a warm shutdown
(the current job finishes; a second signal stops at once); a job that overruns its timeout is
killed by RQ's death penalty. Each job runs inside an app context in a freshly forked work
horse with its own database connections.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask
from rq import Worker
from rq.group import Group

from app.extensions import db, get_redis
from app.tasks.queues import all_queues
from app.tasks.schedule import enqueue_due_tasks
from app.tasks.ticker import WorkerTicker

log = logging.getLogger(__name__)

MAINTENANCE_INTERVAL = 60  # seconds between maintenance passes (registries + periodic tasks)


class AppWorker(Worker):
    """An RQ worker bound to a Flask app."""

    app: Flask
    parent_pid: int
    ticker: WorkerTicker | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._scheduler_lock = threading.RLock()  # the main loop and the ticker both start it
        self._scheduler_stopped = False

    def perform_job(self, job, queue):
        if os.getpid() != self.parent_pid:
            # A forked horse must not reuse the parent's pooled connections.
            db.engine.dispose(close=False)
        with self.app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()

    def work(self, burst: bool = False, *args, **kwargs):
        if not burst:
            self.ticker = WorkerTicker(self, float(self.app.config["WORKER_TICK_SECONDS"]))
            self.ticker.start()
        return super().work(burst, *args, **kwargs)

    def _start_scheduler(self, *args, **kwargs):
        with self._scheduler_lock:
            return super()._start_scheduler(*args, **kwargs)

    def ensure_scheduler(self) -> bool:
        """Start the scheduler child again if it died (and this worker may hold its locks).

        True when a new scheduler process was started."""
        with self._scheduler_lock:
            scheduler = self.scheduler
            if scheduler is None or self._scheduler_stopped:
                return False
            process = scheduler._process
            if process is not None and process.is_alive():
                return False
            scheduler.acquire_locks(auto_start=True)
            restarted = scheduler._process is not process and scheduler._process is not None
            if restarted:
                log.warning("scheduler_restarted", extra={
                    "pid": scheduler._process.pid, "exitcode": getattr(process, "exitcode", None)})
            return restarted

    def stop_scheduler(self):
        with self._scheduler_lock:
            self._scheduler_stopped = True  # the ticker must not start it again
            super().stop_scheduler()

    def teardown(self):
        if not self.is_horse and self.ticker is not None:
            self.ticker.stop()
        super().teardown()

    def run_maintenance_tasks(self):
        """RQ's pass (registries) plus the periodic tasks; the scheduler is the ticker's job."""
        with self.app.app_context():  # RQ's registry cleanup runs failure callbacks of lost jobs
            if self.ticker is None:  # burst mode: no ticker, RQ's own scheduler check
                super().run_maintenance_tasks()
            else:
                self.clean_registries()
                Group.clean_registries(connection=self.connection)
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
