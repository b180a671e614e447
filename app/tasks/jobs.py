"""The one job helper: every task declares its queue, timeout, retries and failure handling here.

    @task(queue="default", timeout=60, retries=5, retry_intervals=(10, 30, 60, 300, 900))
    def send_email(delivery_id): ...

    send_email.enqueue(delivery_id)                       # with the declared options
    send_email.enqueue(delivery_id, job_id="...", queue="high", timeout=30)   # overridden

Every enqueue goes through the app's dispatcher: RQ on Redis (``RQDispatcher``), unless one was
installed with ``install_dispatcher`` -- the unit tests put a recording twin there, so services
that enqueue run without Redis. ``fetch_job`` and ``remove_job`` ask the same dispatcher.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from rq import Callback, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from app.extensions import get_redis
from app.tasks.queues import DEFAULT, get_queue

log = logging.getLogger(__name__)

DAY = 24 * 3600


@dataclass(frozen=True)
class TaskOptions:
    queue: str = DEFAULT
    timeout: int = 600
    retries: int = 3
    retry_intervals: tuple[int, ...] = (10, 60, 300)
    result_ttl: int = DAY
    failure_ttl: int = 30 * DAY  # failed jobs stay in the failed registry (dead letters) a month
    on_failure: str | Callable[..., Any] | None = None  # called after each failed attempt


def log_job_failure(job: Job, connection, exc_type, exc_value, traceback) -> None:
    """Default failure callback: one structured line per failed attempt."""
    final = not job.retries_left
    log.error("job_failed", extra={"job_id": job.id, "task": job.func_name,
                                   "error_type": exc_type.__name__ if exc_type else None,
                                   "final": final})


def is_final_attempt(job: Job) -> bool:
    """True inside a failure callback when RQ will not retry the job again."""
    return not job.retries_left


class Dispatcher:
    """Where enqueued tasks go, and where their jobs are looked up."""

    def enqueue(self, func: Callable[..., Any], args: tuple, kwargs: dict, options: TaskOptions,
                *, job_id: str | None = None, at_front: bool = False, meta: dict | None = None):
        raise NotImplementedError

    def fetch(self, job_id: str | None):
        """The job with this id, or None."""
        raise NotImplementedError

    def delete(self, job_id: str | None) -> bool:
        """Take the job off its queue and registries; False when there was none."""
        raise NotImplementedError


class RQDispatcher(Dispatcher):
    def enqueue(self, func, args, kwargs, options, *, job_id=None, at_front=False, meta=None) -> Job:
        retry = Retry(max=options.retries, interval=list(options.retry_intervals)) \
            if options.retries else None
        job = get_queue(options.queue).enqueue_call(
            func, args=args, kwargs=kwargs, timeout=options.timeout, result_ttl=options.result_ttl,
            failure_ttl=options.failure_ttl, job_id=job_id, at_front=at_front, meta=meta, retry=retry,
            on_failure=Callback(options.on_failure or log_job_failure),
        )
        log.info("job_enqueued", extra={"job_id": job.id, "task": job.func_name,
                                        "queue": options.queue})
        return job

    def fetch(self, job_id: str | None) -> Job | None:
        if not job_id:
            return None
        try:
            return Job.fetch(job_id, connection=get_redis())
        except NoSuchJobError:
            return None

    def delete(self, job_id: str | None) -> bool:
        job = self.fetch(job_id)
        if job is None:
            return False
        job.delete(remove_from_queue=True)
        return True


RQ_DISPATCHER = RQDispatcher()


def install_dispatcher(app: Flask, dispatcher: Dispatcher) -> None:
    app.extensions["task_dispatcher"] = dispatcher


def get_dispatcher() -> Dispatcher:
    if has_app_context():
        return current_app.extensions.get("task_dispatcher", RQ_DISPATCHER)
    return RQ_DISPATCHER


def fetch_job(job_id: str | None):
    return get_dispatcher().fetch(job_id)


def scheduled_for(job: Job) -> datetime | None:
    """When a scheduled job (a retry waiting its turn) is due on its queue; None when its
    queue's scheduled registry does not hold it (so nothing will ever move it there)."""
    registry = ScheduledJobRegistry(job.origin, connection=job.connection)
    score = registry.connection.zscore(registry.key, job.id)
    return None if score is None else datetime.fromtimestamp(float(score), tz=UTC)


def remove_job(job_id: str | None) -> bool:
    return get_dispatcher().delete(job_id)


def enqueue(func: Callable[..., Any], *args: Any, options: TaskOptions | None = None,
            job_id: str | None = None, at_front: bool = False, meta: dict | None = None,
            **kwargs: Any):
    """Put ``func(*args, **kwargs)`` on its queue with its declared options."""
    opts = options or getattr(func, "task_options", TaskOptions())
    return get_dispatcher().enqueue(func, args, kwargs, opts, job_id=job_id, at_front=at_front,
                                    meta=meta)


def task(**declared: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a function as a task; adds ``.enqueue(*args, **kwargs)`` and ``.task_options``."""
    options = TaskOptions(**declared)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func.task_options = options

        @functools.wraps(enqueue)
        def enqueue_task(*args: Any, job_id: str | None = None, at_front: bool = False,
                         meta: dict | None = None, **overrides_and_kwargs: Any):
            overrides = {k: overrides_and_kwargs.pop(k) for k in list(overrides_and_kwargs)
                         if k in TaskOptions.__dataclass_fields__}
            return enqueue(func, *args, options=replace(options, **overrides), job_id=job_id,
                           at_front=at_front, meta=meta, **overrides_and_kwargs)

        func.enqueue = enqueue_task
        return func

    return decorate
