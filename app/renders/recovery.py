"""Keeping Redis in step with Postgres, and cleaning up after renders.

``reconcile_render_jobs`` finds ``queued``/``rendering`` rows whose RQ job is gone (Redis flushed
or restarted) or whose worker died (an RQ job still "started" but no heartbeat on the row for
``RENDER_STALE_SECONDS``) and starts a new attempt, once; after ``MAX_ATTEMPTS`` the job
fails for good. A chunked render (its chunk rows written) keeps its attempt: only the chunks
whose RQ job is gone or dead are enqueued again, or the join once every chunk is done. Rows
are locked with SKIP LOCKED, so two reconcilers at once never both act.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from rq import Worker
from sqlalchemy import func, select

from app.adapters import get_storage
from app.delivery.job_storage import delete_job_objects
from app.extensions import db, get_redis
from app.models import ChunkStatus, RenderJob, RenderStatus, utcnow
from app.renders import chunking
from app.renders.chunk_tasks import fail_chunked_render, push_chunks, push_join
from app.renders.execution import fail_job
from app.renders.queueing import MAX_ATTEMPTS, push_render, start_attempt, unqueue_render
from app.renders.rows import lock_render_job
from app.renders.workspace import tmp_root
from app.tasks.jobs import fetch_job

log = logging.getLogger(__name__)

WAITING_RQ_STATES = {"queued", "scheduled", "deferred"}
UPLOAD_TEMP_MAX_AGE = 3600  # a request never validates for an hour
WORK_TEMP_MIN_AGE = 600  # a work folder of a job no longer rendering, left by a dead worker
RUNNING = {RenderStatus.RENDERING}


def _setting(name: str) -> int:
    return int(current_app.config[name])


def _worker_alive(worker_name: str | None) -> bool:
    if not worker_name:
        return False
    return get_redis().exists(Worker.redis_worker_namespace_prefix + worker_name) > 0


def diagnose(job: RenderJob, now: datetime, stale_after: int) -> str:
    """"ok", or why the row's attempt will never finish: "lost", "dead" or "orphaned"."""
    return diagnose_rq_job(job.rq_job_id, [job.progress_updated_at, job.started_at], now, stale_after)


def diagnose_rq_job(rq_job_id: str | None, signs_of_life: list, now: datetime, stale_after: int) -> str:
    """"ok" while the RQ job waits or runs on a live worker that showed life within
    ``stale_after``; else "lost" (no such job), "dead" (its worker died) or "orphaned" (it
    ended in RQ, yet the rows never heard of it)."""
    rq_job = fetch_job(rq_job_id)
    if rq_job is None:
        return "lost"
    status = rq_job.get_status(refresh=False)
    status = getattr(status, "value", status)
    if status in WAITING_RQ_STATES:
        return "ok"
    if status == "started":
        signs = [t for t in (*signs_of_life, rq_job.started_at, rq_job.last_heartbeat) if t is not None]
        last = max(t if t.tzinfo else t.replace(tzinfo=now.tzinfo) for t in signs) if signs else None
        if last is not None and now - last < timedelta(seconds=stale_after) \
                and _worker_alive(rq_job.worker_name):
            return "ok"
        return "dead"
    return "orphaned"


def reconcile_chunked(job: RenderJob, now: datetime, stale_after: int) -> str:
    """A (locked) chunked render: re-enqueue only the chunks whose RQ job is gone or whose
    worker died, or the join once every chunk is done. "ok", "requeued" or "failed"."""
    chunks = chunking.chunks_of(job.id, job.attempts)
    unfinished = [c for c in chunks if c.status != ChunkStatus.DONE]
    if not unfinished:
        join_id = chunking.join_rq_job_id(job.id, job.attempts)
        verdict = diagnose_rq_job(join_id, [job.progress_updated_at], now, stale_after)
        db.session.rollback()
        if verdict == "ok":
            return "ok"
        unqueue_render(join_id)
        push_join(job, job.attempts)
        log.warning("render_join_requeued", extra={"render_job_id": str(job.id), "reason": verdict})
        return "requeued"
    lost = [c for c in unfinished
            if diagnose_rq_job(c.rq_job_id, [c.updated_at], now, stale_after) != "ok"]
    if not lost:
        db.session.rollback()
        return "ok"
    if any(c.enqueues >= MAX_ATTEMPTS for c in lost):
        db.session.rollback()
        fail_chunked_render(job.id, job.attempts, "render_crashed",
                            "The render kept stopping unexpectedly and was given up. You can retry it.")
        return "failed"
    previous = [chunking.requeue_chunk(c) for c in lost]
    db.session.commit()
    for rq_job_id in previous:
        unqueue_render(rq_job_id)  # so RQ's own cleanup cannot act on it later
    push_chunks(job, lost)
    log.warning("render_chunks_requeued", extra={"render_job_id": str(job.id), "attempt": job.attempts,
                                                 "chunks": [c.position for c in lost]})
    return "requeued"


def reconcile_render_jobs() -> dict[str, int]:
    """Re-enqueue every queued/rendering job that RQ lost or whose worker died."""
    stale_after = _setting("RENDER_STALE_SECONDS")
    grace = _setting("RENDER_RECONCILE_GRACE_SECONDS")
    now = utcnow()
    last_change = func.coalesce(RenderJob.progress_updated_at, RenderJob.queued_at, RenderJob.created_at)
    candidates = db.session.scalars(
        select(RenderJob.id).where(RenderJob.status.in_([RenderStatus.QUEUED, RenderStatus.RENDERING]),
                                   last_change <= now - timedelta(seconds=grace))).all()
    db.session.rollback()
    counts = {"checked": 0, "requeued": 0, "failed": 0}
    for job_id in candidates:
        job = lock_render_job(job_id, skip_locked=True)
        if job is None or RenderStatus(job.status) not in (RenderStatus.QUEUED, RenderStatus.RENDERING):
            db.session.rollback()
            continue
        counts["checked"] += 1
        if RenderStatus(job.status) == RenderStatus.RENDERING and chunking.has_chunks(job):
            outcome = reconcile_chunked(job, now, stale_after)
            if outcome != "ok":
                counts[outcome] += 1
            continue
        verdict = diagnose(job, now, stale_after)
        if verdict == "ok":
            db.session.rollback()
            continue
        old_rq_job_id = job.rq_job_id
        if job.attempts >= MAX_ATTEMPTS:
            fail_job(job, "render_crashed",
                     "The render kept stopping unexpectedly and was given up. You can retry it.")
            unqueue_render(old_rq_job_id)
            counts["failed"] += 1
            continue
        start_attempt(job, priority=job.priority)
        db.session.commit()
        unqueue_render(old_rq_job_id)  # so RQ's own cleanup cannot act on it later
        push_render(job)
        counts["requeued"] += 1
        log.warning("render_requeued", extra={"render_job_id": str(job.id), "reason": verdict,
                                              "attempt": job.attempts,
                                              "previous_rq_job_id": old_rq_job_id})
    return counts


def cleanup_render_temp_files() -> dict[str, int]:
    """Remove temp folders left by crashed requests/renders, and kept outputs nobody will use."""
    root = tmp_root()
    now = time.time()
    removed = {"uploads": 0, "work": 0, "outputs": 0}
    for path in _children(root / "uploads"):
        if now - path.stat().st_mtime > UPLOAD_TEMP_MAX_AGE:
            shutil.rmtree(path, ignore_errors=True)
            removed["uploads"] += 1
    for path in _children(root / "work"):  # named <job id>-<random>
        if now - path.stat().st_mtime > WORK_TEMP_MIN_AGE and not _job_in(path.name[:36], RUNNING):
            shutil.rmtree(path, ignore_errors=True)
            removed["work"] += 1
    for path in _children(root / "outputs"):  # named <job id>; needed while a retry may come
        if not _job_in(path.name, RUNNING | {RenderStatus.QUEUED}):
            shutil.rmtree(path, ignore_errors=True)
            removed["outputs"] += 1
    if any(removed.values()):
        log.info("render_temp_cleaned", extra=removed)
    return removed


def _children(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.is_dir() else []


def _job_in(name: str, statuses: set[RenderStatus]) -> bool:
    try:
        job_id = uuid.UUID(name)
    except ValueError:
        return False
    status = db.session.scalar(select(RenderJob.status).where(RenderJob.id == job_id))
    db.session.rollback()
    return status is not None and RenderStatus(status) in statuses


def delete_unpaid_uploads(batch_size: int = 100) -> int:
    """Delete everything stored for jobs never paid (or canceled) after
    UNPAID_UPLOAD_RETENTION_HOURS -- the audio and every uploaded image, by prefix -- and mark
    those jobs ``expired``. Safe to run twice at once (rows locked, SKIP LOCKED)."""
    hours = _setting("UNPAID_UPLOAD_RETENTION_HOURS")
    cutoff = utcnow() - timedelta(hours=hours)
    storage = get_storage()
    done = 0
    while True:
        jobs = db.session.scalars(
            select(RenderJob)
            .where(((RenderJob.status == RenderStatus.AWAITING_PAYMENT) & (RenderJob.created_at <= cutoff))
                   | ((RenderJob.status == RenderStatus.CANCELED) & (RenderJob.canceled_at <= cutoff)
                      & RenderJob.output_key.is_(None)))
            .order_by(RenderJob.created_at).limit(batch_size)
            .with_for_update(of=RenderJob, skip_locked=True)).all()
        if not jobs:
            db.session.rollback()
            break
        for job in jobs:
            delete_job_objects(storage, job)
            job.transition(RenderStatus.EXPIRED, utcnow())
            done += 1
        db.session.commit()
        log.info("unpaid_uploads_deleted", extra={"jobs": len(jobs)})
    return done

