"""The worker's clock: a thread that enqueues due periodic tasks and keeps the RQ scheduler alive.

RQ only runs its maintenance pass between dequeues, and an idle worker blocks on the queues for
up to ``worker_ttl - 15`` seconds (405 s by default); a busy one waits for its work horse. So the
periodic tasks (the reconciler every 60 s, ...) and the check that the scheduler child (which
moves retries from the scheduled registry to the queue) is alive cannot hang on that loop. This
thread ticks every ``WORKER_TICK_SECONDS`` whatever the main loop is doing:

- ``enqueue_due_tasks``: each period claimed with Redis ``SET NX EX`` (once across all workers);
- ``worker.ensure_scheduler()``: restarts a dead scheduler child at once (RQ's own check runs
  only in the maintenance pass), and a hung one (alive, no heartbeat for
  ``WORKER_SCHEDULER_STALL_SECONDS``) after killing it.

Why a thread and not a short dequeue timeout: a short timeout only helps an idle worker (a busy
one sits in ``monitor_work_horse`` for the whole render), and code run from the main loop is
where RQ's signal handlers raise ``StopRequested``. The thread receives no signals (Python runs
handlers in the main thread), touches only Redis (redis-py resets its pool in a forked child),
and holds no lock the work horse needs: a horse forked while it ticks inherits nothing running.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from flask import Flask

from app.tasks.schedule import enqueue_due_tasks

log = logging.getLogger(__name__)


class TickedWorker(Protocol):
    """What the ticker needs of the worker (``app.tasks.worker.AppWorker``)."""

    app: Flask

    def ensure_scheduler(self) -> bool: ...


class WorkerTicker(threading.Thread):
    def __init__(self, worker: TickedWorker, every_seconds: float):
        super().__init__(name="waveframe-worker-ticker", daemon=True)
        self.worker = worker
        self.every_seconds = every_seconds
        self._halt = threading.Event()
        self._ticked_first = False

    def run(self) -> None:
        with self.worker.app.app_context():
            if self._ticked_first:
                self._halt.wait(self.every_seconds)
            while not self._halt.is_set():
                self.tick()
                self._halt.wait(self.every_seconds)

    def start_after_a_tick(self) -> None:
        """Tick once in the calling thread, then start the thread (its first tick one period on).

        Whatever a tick imports lazily is then imported before the thread exists: a work horse
        forked while the thread held a module's import lock would wait for it forever."""
        with self.worker.app.app_context():
            self.tick()
        self._ticked_first = True
        self.start()

    def tick(self) -> None:
        try:
            enqueue_due_tasks()
        except Exception:  # Redis away for a moment: the next tick tries again
            log.warning("periodic_enqueue_failed", exc_info=True)
        try:
            self.worker.ensure_scheduler()
        except Exception:
            log.warning("scheduler_check_failed", exc_info=True)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=10)
