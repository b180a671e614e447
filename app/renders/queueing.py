"""Putting render jobs on the RQ queues: priority, one RQ job per attempt, timeout, retries.

``queue_render`` is the one way onto the queue (a new job with payments off, a paid job, a
retry). Postgres is the source of truth: it first records the new attempt on the row (status
``queued``, ``attempts`` + 1, ``rq_job_id = render-<job>-<attempt>``) and commits, then pushes
the task. If the push fails (Redis down) the job is not lost: the reconciler
(``app.renders.recovery``) finds the queued row without an RQ entry and pushes it with the same
``start_attempt`` and ``push_render``. An attempt's RQ job id is fixed, so it is enqueued at
most once.
"""

from __future__ import annotations

import logging
import re
import uuid

import redis
from flask import current_app

from app.errors import Conflict
from app.extensions import db
from app.models import RenderJob, RenderStatus, utcnow
from app.rendering.catalog import formats_of
from app.renders.budget import (  # noqa: F401  (part of this module's interface)
    LONG_RENDER_SECONDS,
    MAX_JOB_TIMEOUT,
    MIN_JOB_TIMEOUT,
    SHORT_RENDER_SECONDS,
    job_timeout,
    render_seconds,
)
from app.renders.chunk_tasks import plan_chunks_task
from app.renders.chunking import wants_chunks
from app.renders.rows import lock_render_job
from app.renders.tasks import render_job_task
from app.tasks.jobs import fetch_job, remove_job
from app.tasks.queues import DEFAULT, HIGH, LOW

log = logging.getLogger(__name__)

# A job is tried at most this many times, by its owner's retries or by the reconciler (an
# administrator's retry may go past it).
MAX_ATTEMPTS = 5
QUEUE_FROM = frozenset({RenderStatus.AWAITING_PAYMENT, RenderStatus.FAILED})


def choose_priority(seconds: float, *, admin: bool = False) -> str:
    if admin or seconds < SHORT_RENDER_SECONDS:
        return HIGH
    if seconds >= LONG_RENDER_SECONDS:
        return LOW
    return DEFAULT


def _seconds(job: RenderJob) -> float:
    return render_seconds(job.config or {}, float(job.audio_duration))


def timeout_for(job: RenderJob) -> int:
    config = job.config or {}
    # an order of several formats renders each of them in the one attempt
    return min(MAX_JOB_TIMEOUT, sum(job_timeout(_seconds(job), size, config.get("fps", 30))
                                    for size in formats_of(config)))


def rq_job_id_for(job_id, attempt: int) -> str:
    return f"render-{job_id}-{attempt}"


_RQ_JOB_ID = re.compile(r"render-([0-9a-fA-F-]{36})-(\d+)")


def render_job_id_of(rq_job_id: str | None) -> uuid.UUID | None:
    """The render job an RQ job id belongs to (``render-<job>-<attempt>``), else None."""
    match = _RQ_JOB_ID.fullmatch(rq_job_id or "")
    if match is None:
        return None
    try:
        return uuid.UUID(match.group(1))
    except ValueError:
        return None


def queue_render(job: RenderJob, *, priority: str | None = None, admin: bool = False) -> None:
    """Start a new attempt of ``job``: mark it ``queued``, commit, and push the render task.

    Allowed from ``awaiting_payment`` (first attempt: a new job with payments off, or once paid)
    and ``failed`` (a retry); any other state raises :class:`Conflict`. ``admin`` retries go to
    the high queue. The caller's pending changes (a new row, ``paid_at``) are committed with it.
    """
    db.session.flush()  # keep the caller's pending changes through the re-read
    lock_render_job(job.id)  # serialise concurrent calls on this row (re-reads ``job`` in place)
    if RenderStatus(job.status) not in QUEUE_FROM:
        db.session.rollback()
        raise Conflict(f"A {job.status} render cannot be queued.", code="invalid_render_state",
                       details={"status": str(job.status)})
    start_attempt(job, priority=priority, admin=admin)
    db.session.commit()
    log.info("render_queued", extra={"render_job_id": str(job.id), "attempt": job.attempts,
                                     "queue": job.priority})
    push_render(job)


def start_attempt(job: RenderJob, *, priority: str | None = None, admin: bool = False) -> None:
    """Record a new attempt on the (locked) row and move it to ``queued``; the caller commits."""
    job.attempts = (job.attempts or 0) + 1
    job.priority = priority or choose_priority(_seconds(job), admin=admin)
    job.rq_job_id = rq_job_id_for(job.id, job.attempts)
    job.progress = 0
    job.eta_seconds = None
    job.progress_updated_at = None
    job.cancel_requested = False
    job.error_code = None
    job.error_message = None
    if RenderStatus(job.status) != RenderStatus.QUEUED:
        job.transition(RenderStatus.QUEUED, utcnow())
    else:
        job.queued_at = utcnow()


def push_render(job: RenderJob):
    """Put the current attempt of ``job`` on its queue, unless the queue already holds it.

    Returns None when Redis is unreachable: the row is committed, the reconciler retries.
    """
    try:
        existing = fetch_job(job.rq_job_id)
        if existing is not None:
            return existing
        # a render longer than one chunk: the attempt plans chunks that any worker renders
        runner = plan_chunks_task if wants_chunks(job) else render_job_task
        return runner.enqueue(
            str(job.id), job.attempts, job_id=job.rq_job_id, queue=job.priority,
            timeout=timeout_for(job),
            retry_intervals=tuple(current_app.config["RENDER_RETRY_INTERVALS"]))
    except redis.RedisError:
        log.warning("render_enqueue_failed", extra={"render_job_id": str(job.id),
                                                    "rq_job_id": job.rq_job_id})
        return None


def unqueue_render(rq_job_id: str | None) -> bool:
    """Take an attempt's RQ job off its queue and registries; False when there was none."""
    try:
        return remove_job(rq_job_id)
    except redis.RedisError:
        log.warning("render_dequeue_failed", extra={"rq_job_id": rq_job_id})
        return False
