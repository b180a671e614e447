"""The operator's view of RQ's failed registry: the latest failures (with the render each
belongs to) and requeueing one.

A failed render attempt (``render-<job>-<attempt>``) goes back through the API's retry path
(``service.retry_render`` -> ``queueing.queue_render``, as an admin retry: the high queue, past
the attempt cap), which starts a new attempt with its own RQ job id; any other failed task is
enqueued again with its declared options (``app.tasks.failures.requeue_failed_task``). Either
way the failed entry is removed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from app.errors import Conflict, NotFound, ServiceUnavailable
from app.extensions import db
from app.models import RenderJob, RenderStatus
from app.renders.queueing import render_job_id_of
from app.renders.service import retry_render
from app.tasks.failures import find_failed, latest_failures, remove_failed, requeue_failed_task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailedEntry:
    job_id: str  # the RQ job id
    queue: str
    task: str | None
    render_job_id: uuid.UUID | None  # None for a task that is not a render
    error: str | None  # the exception's last line
    failed_at: datetime | None


@dataclass(frozen=True)
class RequeueResult:
    """What requeueing a failed entry changed (``changes``: field -> {"before", "after"} of the
    render job's row; empty for a task that is not a render)."""

    failed_job_id: str
    render_job_id: uuid.UUID | None
    new_job_id: str | None
    queue: str | None
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)


def latest_failed(limit: int = 20) -> list[FailedEntry]:
    """The newest entries of every queue's failed registry (raises ``redis.RedisError``)."""
    return [FailedEntry(job_id=f.job_id, queue=f.queue, task=f.func_name,
                        render_job_id=render_job_id_of(f.job_id), error=f.error,
                        failed_at=f.failed_at)
            for f in latest_failures(limit)]


_AUDITED = ("status", "attempts", "rq_job_id", "priority", "error_code")


def _snapshot(job: RenderJob) -> dict[str, Any]:
    return {name: (str(getattr(job, name)) if name == "status" else getattr(job, name))
            for name in _AUDITED}


def requeue_failed(rq_job_id: str, *, actor_id: uuid.UUID | None) -> RequeueResult:
    """Put the failed registry entry ``rq_job_id`` back on the queue and remove the entry.

    A render attempt must be its job's current attempt and the job ``failed`` (else 409
    ``stale_failure`` / ``invalid_render_state``); an unknown entry is 404
    ``failed_job_not_found``; Redis away is 503 ``queue_unavailable``.
    """
    try:
        entry = find_failed(rq_job_id)
    except redis.RedisError as exc:
        raise _queue_unavailable() from exc
    if entry is None:
        raise NotFound("No failed job with this id.", code="failed_job_not_found")
    render_id = render_job_id_of(rq_job_id)
    if render_id is None:
        try:
            new_job = requeue_failed_task(rq_job_id)
        except redis.RedisError as exc:
            raise _queue_unavailable() from exc
        log.info("failed_task_requeued", extra={"job_id": rq_job_id,
                                                "actor_id": str(actor_id) if actor_id else None})
        return RequeueResult(rq_job_id, None, getattr(new_job, "id", None), entry[0])
    job = db.session.get(RenderJob, render_id)
    if job is None:
        raise NotFound("The render of this failed job no longer exists.",
                       code="render_not_found")
    if job.rq_job_id != rq_job_id:
        raise Conflict("A newer attempt of this render exists; this failure is stale.",
                       code="stale_failure", details={"current_rq_job_id": job.rq_job_id})
    if RenderStatus(job.status) != RenderStatus.FAILED:
        raise Conflict(f"The render is {job.status}; only a failed render is requeued.",
                       code="invalid_render_state", details={"status": str(job.status)})
    before = _snapshot(job)
    retry_render(job, admin=True)
    try:
        remove_failed(rq_job_id)
    except redis.RedisError:  # the new attempt is queued; a stale entry is harmless
        log.warning("failed_entry_not_removed", extra={"job_id": rq_job_id})
    after = _snapshot(job)
    log.info("failed_render_requeued", extra={"render_job_id": str(job.id), "job_id": rq_job_id,
                                              "new_job_id": job.rq_job_id,
                                              "actor_id": str(actor_id) if actor_id else None})
    return RequeueResult(rq_job_id, job.id, job.rq_job_id, job.priority,
                         {k: {"before": before[k], "after": after[k]} for k in _AUDITED
                          if before[k] != after[k]})


def _queue_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("The job queue (Redis) cannot be reached; try again shortly.",
                              code="queue_unavailable")
