"""The worker's scheduler child: forked before any thread of ours runs, replaced when it stalls.

A fork while another thread runs Python code can leave the child blocked forever on a lock that
thread held (an import's module lock, a handler's lock): the child is alive, never heartbeats,
and retries stop moving. So ``AppWorker`` starts its ticker thread only once the scheduler child
is forked, and ticks once in the main thread first (whatever a tick imports is then imported
before a work horse can be forked beside the thread).
"""

from __future__ import annotations

import threading
from datetime import timedelta

from rq.scheduler import RQScheduler
from rq.utils import now

from app.tasks.ticker import WorkerTicker
from app.tasks.worker import build_worker


def test_the_ticker_thread_starts_after_the_scheduler_is_forked(app, redis_conn, monkeypatch):
    threads_at_fork: list[list[str]] = []

    def record_start(scheduler):  # instead of forking: which threads would the child inherit?
        threads_at_fork.append(sorted(t.name for t in threading.enumerate()))
        return None

    ticked_in: list[str] = []
    tick = WorkerTicker.tick

    def record_tick(ticker):
        ticked_in.append(threading.current_thread().name)
        return tick(ticker)

    monkeypatch.setattr(RQScheduler, "start", record_start)
    monkeypatch.setattr(WorkerTicker, "tick", record_tick)
    worker = build_worker(app)
    worker.work(burst=False, with_scheduler=True, max_idle_time=1)

    assert threads_at_fork, "the scheduler was never started"
    assert "waveframe-worker-ticker" not in threads_at_fork[0]
    assert worker.ticker is not None
    assert worker.ticker.ident is not None  # it did start, after the fork
    assert not worker.ticker.is_alive()  # and was stopped with the worker
    assert ticked_in[0] == threading.main_thread().name


# -- a scheduler child alive but silent is stalled ------------------------------------------------

class _Child:
    def __init__(self, pid: int):
        self.pid = pid


def _scheduler_worker(app, redis_conn, monkeypatch, limit: float):
    monkeypatch.setitem(app.config, "WORKER_SCHEDULER_STALL_SECONDS", limit)
    worker = build_worker(app)
    return worker, RQScheduler(worker.queues, connection=redis_conn)


def test_a_child_that_heartbeats_is_not_stalled(app, redis_conn, monkeypatch):
    worker, scheduler = _scheduler_worker(app, redis_conn, monkeypatch, 30)
    child = _Child(4242)
    clock = [1000.0]
    monkeypatch.setattr("app.tasks.worker.time.monotonic", lambda: clock[0])
    assert not worker._scheduler_stalled(scheduler, child)  # first seen: its grace starts
    clock[0] += 31
    scheduler.last_heartbeat = now()
    scheduler.pid = child.pid
    scheduler.save()
    assert not worker._scheduler_stalled(scheduler, child)  # past the grace, beating


def test_a_silent_child_is_stalled_after_the_limit(app, redis_conn, monkeypatch):
    worker, scheduler = _scheduler_worker(app, redis_conn, monkeypatch, 30)
    child = _Child(4242)
    clock = [1000.0]
    monkeypatch.setattr("app.tasks.worker.time.monotonic", lambda: clock[0])
    assert not worker._scheduler_stalled(scheduler, child)
    clock[0] += 29
    assert not worker._scheduler_stalled(scheduler, child)  # never registered, still in grace
    clock[0] += 2
    assert worker._scheduler_stalled(scheduler, child)  # never registered
    scheduler.last_heartbeat = now() - timedelta(seconds=31)
    scheduler.save()
    assert worker._scheduler_stalled(scheduler, child)  # registered, then silent
    replacement = _Child(4343)  # a new child gets its own grace
    assert not worker._scheduler_stalled(scheduler, replacement)


def test_the_check_is_off_at_zero(app, redis_conn, monkeypatch):
    worker, scheduler = _scheduler_worker(app, redis_conn, monkeypatch, 0)
    clock = [1000.0]
    monkeypatch.setattr("app.tasks.worker.time.monotonic", lambda: clock[0])
    worker._scheduler_stalled(scheduler, _Child(1))
    clock[0] += 10**6
    assert not worker._scheduler_stalled(scheduler, _Child(1))
