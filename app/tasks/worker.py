"""The RQ worker process: listens to high, default, low in that order, with the scheduler.

A ticker thread (``app.tasks.ticker``) enqueues the periodic tasks at their period and restarts
a dead or stalled scheduler child, independently of RQ's dequeue loop. The ticker starts only
after the scheduler child is forked: a fork while another thread runs Python code can leave the
child waiting forever on a lock that thread held (an import's module lock, say), so at start-up
the scheduler is forked from a process with no thread of ours running; any later stall (a hung
child stops heartbeating) is caught by ``ensure_scheduler``. SIGTERM asks for a warm shutdown
(the current job finishes; a second signal stops at once); a job that overruns its timeout is
killed by RQ's death penalty. Each job runs inside an app context in a freshly forked work
horse with its own database connections.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from flask import Flask
from rq import Worker
from rq.group import Group
from rq.utils import now, utcparse

from app.extensions import db, get_redis
from app.rendering import warm
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
    warm_browser: warm.WarmBrowser | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._scheduler_lock = threading.RLock()  # the main loop and the ticker both start it
        self._scheduler_stopped = False
        self._ticker_after_scheduler = False
        self._scheduler_seen: tuple[int, float] | None = None  # (pid, monotonic first seen alive)

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
        if self.app.config.get("RENDER_WARM_BROWSER"):
            self.warm_browser = warm.WarmBrowser(self.app.config["CHROMIUM_PATH"],
                                                 max_jobs=int(self.app.config["RENDER_WARM_BROWSER_JOBS"]))
            warm.install(self.warm_browser)  # the horses forked from here attach to it
            try:
                self.warm_browser.start()
            except Exception:  # renders launch their own browser meanwhile; retried per job
                log.exception("warm_browser_start_failed")
        if not burst:
            self.ticker = WorkerTicker(self, float(self.app.config["WORKER_TICK_SECONDS"]))
            if kwargs.get("with_scheduler"):
                self._ticker_after_scheduler = True  # started once the scheduler is forked
            else:
                self.ticker.start()
        try:
            return super().work(burst, *args, **kwargs)
        finally:
            self._close_warm_browser()

    def execute_job(self, job, queue):
        browser = self.warm_browser
        if browser is None:
            return super().execute_job(job, queue)
        try:
            browser.ensure()
        except Exception:  # renders then launch their own browser, as without a warm one
            log.exception("warm_browser_start_failed")
        failed = True
        try:
            super().execute_job(job, queue)
            try:
                failed = job.get_status(refresh=True) != "finished"
            except Exception:  # the job is gone (result TTL): nothing says it failed
                failed = False
        finally:
            try:
                browser.after_job(failed=failed)  # recycled after a failure or its job budget
            except Exception:
                log.exception("warm_browser_start_failed")

    def _close_warm_browser(self) -> None:
        if self.warm_browser is not None and os.getpid() == self.parent_pid:
            self.warm_browser.close()
            warm.install(None)

    def _start_scheduler(self, *args, **kwargs):
        try:
            with self._scheduler_lock:
                return super()._start_scheduler(*args, **kwargs)
        finally:
            if self._ticker_after_scheduler and self.ticker is not None:
                self._ticker_after_scheduler = False
                self.ticker.start_after_a_tick()

    def ensure_scheduler(self) -> bool:
        """Start the scheduler child again if it died or stalled (and this worker may hold its
        locks). Stalled: alive, but without a heartbeat of its own for
        ``WORKER_SCHEDULER_STALL_SECONDS`` (RQ's scheduler writes one every second); it is
        SIGKILLed and replaced.

        True when a new scheduler process was started."""
        with self._scheduler_lock:
            scheduler = self.scheduler
            if scheduler is None or self._scheduler_stopped:
                return False
            process = scheduler._process
            if process is not None and process.is_alive():
                if not self._scheduler_stalled(scheduler, process):
                    return False
                log.warning("scheduler_stalled", extra={
                    "pid": process.pid,
                    "stall_seconds": float(self.app.config["WORKER_SCHEDULER_STALL_SECONDS"])})
                try:
                    os.kill(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.join(timeout=10)
            scheduler.acquire_locks(auto_start=True)
            restarted = scheduler._process is not process and scheduler._process is not None
            if restarted:
                log.warning("scheduler_restarted", extra={
                    "pid": scheduler._process.pid, "exitcode": getattr(process, "exitcode", None)})
            return restarted

    def _scheduler_stalled(self, scheduler, process) -> bool:
        """True when ``process`` has been alive for the stall limit without a recent heartbeat
        in its Redis hash (``rq:scheduler:<name>``, ``last_heartbeat``; only this worker's
        child writes it: the name is this worker's scheduler's)."""
        limit = float(self.app.config["WORKER_SCHEDULER_STALL_SECONDS"])
        if limit <= 0:
            return False
        clock = time.monotonic()
        if self._scheduler_seen is None or self._scheduler_seen[0] != process.pid:
            self._scheduler_seen = (process.pid, clock)
        if clock - self._scheduler_seen[1] < limit:
            return False  # a new child gets the whole limit to register and heartbeat
        beat = self.connection.hget(scheduler.key, "last_heartbeat")
        if beat is None:  # never registered, or silent so long its hash expired
            return True
        return (now() - utcparse(beat.decode())).total_seconds() >= limit

    def stop_scheduler(self):
        with self._scheduler_lock:
            self._scheduler_stopped = True  # the ticker must not start it again
            super().stop_scheduler()

    def teardown(self):
        if not self.is_horse and self.ticker is not None:
            self.ticker.stop()
        if not self.is_horse:
            self._close_warm_browser()
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
