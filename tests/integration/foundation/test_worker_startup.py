"""The worker forks its scheduler child before starting any thread of its own.

A fork while another thread runs Python code can leave the child blocked forever on a lock that
thread held (an import's module lock, a handler's lock): the child is alive, never heartbeats,
and retries stop moving. So ``AppWorker`` starts its ticker thread only once the scheduler child
is forked, and ticks once in the main thread first (whatever a tick imports is then imported
before a work horse can be forked beside the thread).
"""

from __future__ import annotations

import threading

from rq.scheduler import RQScheduler

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
