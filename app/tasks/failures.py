"""RQ's failed registries (the dead letters of every queue): read them, drop an entry, and put a
failed task back on its queue through the dispatcher with its declared options.

Knows no task: a domain that wants its own way back (renders: a new attempt through
``queue_render``) looks the entry up with ``find_failed`` and removes it with ``remove_failed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rq.job import Job
from rq.registry import FailedJobRegistry

from app.extensions import get_redis
from app.tasks.jobs import enqueue
from app.tasks.queues import QUEUE_NAMES

log = logging.getLogger(__name__)

SCAN_PER_QUEUE = 200  # entries read per queue when listing the latest failures


@dataclass(frozen=True)
class FailedJob:
    job_id: str
    queue: str
    func_name: str | None
    args: tuple[Any, ...]
    error: str | None  # the exception's last line ("ValueError: ..."), never the traceback
    exc_text: str | None  # the last lines of the traceback (for the order page)
    failed_at: datetime | None
    enqueued_at: datetime | None
    started_at: datetime | None


def last_lines(text: str | None, count: int = 1) -> str | None:
    """The last ``count`` non-blank lines of a traceback, or None."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return "\n".join(lines[-count:]) if lines else None


def exc_text_of(job: Job) -> str | None:
    """The traceback RQ stored for the job's latest failure (None when it did not fail)."""
    result = job.latest_result()
    if result is not None and result.type == result.Type.FAILED:
        return result.exc_string
    return getattr(job, "_exc_info", None)


def describe(job: Job, queue: str) -> FailedJob:
    text = exc_text_of(job)
    return FailedJob(job_id=job.id, queue=queue, func_name=job.func_name, args=tuple(job.args),
                     error=last_lines(text), exc_text=last_lines(text, 6),
                     failed_at=job.ended_at, enqueued_at=job.enqueued_at,
                     started_at=job.started_at)


def _registry(queue: str) -> FailedJobRegistry:
    return FailedJobRegistry(queue, connection=get_redis())


def failed_job_count() -> int:
    """Entries in the failed registries of every queue (raises ``redis.RedisError``)."""
    return sum(_registry(name).count for name in QUEUE_NAMES)


def latest_failures(limit: int = 10) -> list[FailedJob]:
    """The most recent failures over every queue, newest first (raises ``redis.RedisError``)."""
    found: list[FailedJob] = []
    for name in QUEUE_NAMES:
        ids = _registry(name).get_job_ids(0, SCAN_PER_QUEUE - 1, desc=True)
        for job in Job.fetch_many(ids, connection=get_redis()):
            if job is not None:
                found.append(describe(job, name))
    found.sort(key=lambda f: (f.failed_at is not None, f.failed_at), reverse=True)
    return found[:limit]


def find_failed(job_id: str) -> tuple[str, Job] | None:
    """(queue name, job) of a failed registry entry, or None."""
    for name in QUEUE_NAMES:
        registry = _registry(name)
        if job_id in registry:
            job = Job.fetch(job_id, connection=get_redis()) if Job.exists(
                job_id, connection=get_redis()) else None
            if job is not None:
                return name, job
    return None


def remove_failed(job_id: str, *, delete_job: bool = True) -> bool:
    """Take the entry off every failed registry (and delete the job's hash); False when absent."""
    removed = False
    for name in QUEUE_NAMES:
        registry = _registry(name)
        if job_id in registry:
            registry.remove(job_id, delete_job=delete_job)
            removed = True
    return removed


def requeue_failed_task(job_id: str):
    """Put a failed task back on its queue as a new job (its declared options, the same
    arguments) and drop the failed entry; None when there is no such entry."""
    entry = find_failed(job_id)
    if entry is None:
        return None
    _queue, job = entry
    new_job = enqueue(job.func, *job.args, **job.kwargs)
    remove_failed(job_id)
    log.info("failed_job_requeued", extra={"job_id": job_id, "task": job.func_name,
                                           "new_job_id": getattr(new_job, "id", None)})
    return new_job
