"""The rules of a chunked render: which jobs are split, their chunk rows, progress over all chunks,
finishing a chunk, and stopping them all.

A render longer than ``RENDER_CHUNK_SECONDS`` is split. Its attempt (``render-<job>-<n>``) is a
planning task that analyses the audio once, stores the features where every worker can read
them (``delivery/job_storage.chunks_prefix``) and writes one ``render_chunks`` row per frame
range; each row is rendered by its own RQ job (``render-<job>-<n>-c<position>-<enqueues>``), and
the chunk that finds every chunk done enqueues the join (``render-<job>-<n>-join``). Postgres is
the source of truth: a chunk's RQ job acts only while the row names it and the job row is still
``rendering`` for the same attempt, not canceled. Every change locks the job row first.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

import redis
import sqlalchemy as sa
from flask import current_app
from rq import Worker

from app.adapters import get_storage
from app.delivery.job_storage import chunks_prefix
from app.extensions import db
from app.models import ChunkStatus, RenderChunk, RenderJob, RenderStatus, utcnow
from app.rendering.chunks import FrameRange, is_chunked
from app.renders.budget import render_seconds
from app.renders.execution import record_progress
from app.renders.rows import lock_render_job
from app.tasks.queues import get_queue

log = logging.getLogger(__name__)


def chunk_seconds() -> float:
    return float(current_app.config["RENDER_CHUNK_SECONDS"])


def fleet_size(queue_name: str) -> int:
    """The workers a render's chunks are split for: ``RENDER_CHUNK_WORKERS``, else the RQ
    workers listening on its queue now (1 when Redis cannot tell)."""
    configured = int(current_app.config["RENDER_CHUNK_WORKERS"])
    if configured > 0:
        return configured
    try:
        return max(1, Worker.count(queue=get_queue(queue_name)))
    except redis.RedisError:
        log.warning("render_fleet_unknown", extra={"queue": queue_name})
        return 1


def wants_chunks(job: RenderJob) -> bool:
    """Whether ``job`` renders as chunks (its trimmed audio is longer than one chunk). An order of
    several formats renders in one attempt, its formats sharing one analysis (not chunked yet)."""
    if len(job.formats) > 1:
        return False
    return is_chunked(render_seconds(job.config or {}, float(job.audio_duration)), chunk_seconds())


def chunk_rq_job_id(job_id, attempt: int, position: int, enqueues: int) -> str:
    return f"render-{job_id}-{attempt}-c{position}-{enqueues}"


def join_rq_job_id(job_id, attempt: int) -> str:
    return f"render-{job_id}-{attempt}-join"


def audio_rq_job_id(job_id, attempt: int) -> str:
    return f"render-{job_id}-{attempt}-audio"


def chunks_of(job_id: uuid.UUID, attempt: int) -> list[RenderChunk]:
    return list(db.session.scalars(
        sa.select(RenderChunk).where(RenderChunk.render_job_id == job_id, RenderChunk.attempt == attempt)
        .order_by(RenderChunk.position).execution_options(populate_existing=True)))


def has_chunks(job: RenderJob) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RenderChunk).where(
        RenderChunk.render_job_id == job.id, RenderChunk.attempt == job.attempts)) > 0


def attempt_is_running(job: RenderJob | None, attempt_rq_job_id: str) -> bool:
    """The job row still wants this attempt rendered (not canceled, failed or superseded)."""
    return (job is not None and job.rq_job_id == attempt_rq_job_id
            and RenderStatus(job.status) == RenderStatus.RENDERING and not job.cancel_requested)


def plan_chunks(job: RenderJob, ranges: list[FrameRange]) -> list[RenderChunk]:
    """The chunk rows of the (locked, rendering) job's current attempt; made once, then reused."""
    existing = chunks_of(job.id, job.attempts)
    if existing:
        return existing
    rows = [RenderChunk(render_job_id=job.id, attempt=job.attempts, position=r.index,
                        frame_start=r.start, frame_end=r.end, status=ChunkStatus.PENDING,
                        rq_job_id=chunk_rq_job_id(job.id, job.attempts, r.index, 1), enqueues=1,
                        frames_done=0)
            for r in ranges]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def claim_chunk(job_id: uuid.UUID, attempt: int, position: int,
                rq_job_id: str) -> tuple[RenderJob, RenderChunk] | None:
    """Mark a chunk ``rendering`` for this RQ job; None (nothing changed) when it must not run."""
    job = lock_render_job(job_id)
    chunk = _chunk(job_id, attempt, position)
    if job is None or chunk is None or chunk.rq_job_id != rq_job_id or chunk.status == ChunkStatus.DONE \
            or not attempt_is_running(job, _attempt_rq_job_id(job_id, attempt)):
        db.session.rollback()
        log.info("render_chunk_not_runnable", extra={"render_job_id": str(job_id), "rq_job_id": rq_job_id})
        return None
    chunk.status, chunk.frames_done = ChunkStatus.RENDERING, 0
    job.progress_updated_at = utcnow()
    db.session.commit()
    return job, chunk


@dataclass(frozen=True)
class AttemptRef:
    """What a chunk's progress writer needs of its job, read once when the chunk is claimed."""

    job_id: uuid.UUID
    attempt: int
    rq_job_id: str  # the attempt's (the job row's) RQ job id
    started_at: datetime | None


def record_chunk_progress(run: AttemptRef, chunk_id: uuid.UUID, rq_job_id: str, frames_done: int) -> None:
    """A chunk's frames so far, and the job's progress and ETA over all its chunks."""
    db.session.execute(sa.update(RenderChunk).where(RenderChunk.id == chunk_id,
                                                    RenderChunk.rq_job_id == rq_job_id)
                       .values(frames_done=int(frames_done)))
    done, total = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(RenderChunk.frames_done), 0),
                  sa.func.coalesce(sa.func.sum(RenderChunk.frame_end - RenderChunk.frame_start), 0))
        .where(RenderChunk.render_job_id == run.job_id, RenderChunk.attempt == run.attempt)).one()
    db.session.commit()
    percent, eta = aggregate_progress(int(done), int(total), run.started_at)
    record_progress(run.job_id, run.rq_job_id, percent, eta)


def aggregate_progress(done: int, total: int, started_at) -> tuple[float, float | None]:
    """Percent (0-99 while chunks run) and ETA from the frames of every chunk since the start."""
    if total <= 0:
        return 0.0, None
    percent = min(99.0, 100.0 * done / total)
    if not done or started_at is None:
        return percent, None
    elapsed = max((utcnow() - started_at).total_seconds(), 0.0)
    return percent, elapsed * (total - done) / done


def finish_chunk(job_id: uuid.UUID, attempt: int, position: int, rq_job_id: str, *, segment_key: str,
                 encoder: str, wall_seconds: float) -> str:
    """Record a chunk's stored segment: "join" when it was the last one, "wait", or "stopped"
    (the attempt was canceled or superseded, or another RQ job owns the chunk now)."""
    job = lock_render_job(job_id)
    chunk = _chunk(job_id, attempt, position)
    if chunk is None or chunk.rq_job_id != rq_job_id \
            or not attempt_is_running(job, _attempt_rq_job_id(job_id, attempt)):
        db.session.rollback()
        return "stopped"
    chunk.status, chunk.segment_key, chunk.encoder = ChunkStatus.DONE, segment_key, encoder
    chunk.frames_done, chunk.wall_seconds = chunk.frames, wall_seconds
    db.session.flush()
    left = db.session.scalar(sa.select(sa.func.count()).select_from(RenderChunk).where(
        RenderChunk.render_job_id == job_id, RenderChunk.attempt == attempt,
        RenderChunk.status != ChunkStatus.DONE))
    db.session.commit()
    log.info("render_chunk_done", extra={"render_job_id": str(job_id), "attempt": attempt,
                                         "chunk": position, "left": left, "encoder": encoder,
                                         "wall_seconds": wall_seconds})
    return "join" if left == 0 else "wait"


def release_chunk(job_id: uuid.UUID, attempt: int, position: int, rq_job_id: str) -> None:
    """After a failed try of a chunk that RQ will retry: back to ``pending``, its frames uncounted."""
    job = lock_render_job(job_id)
    chunk = _chunk(job_id, attempt, position)
    if job is not None and chunk is not None and chunk.rq_job_id == rq_job_id \
            and chunk.status != ChunkStatus.DONE:
        chunk.status, chunk.frames_done = ChunkStatus.PENDING, 0
    db.session.commit()


def requeue_chunk(chunk: RenderChunk) -> str:
    """Give a (locked job's) chunk a new RQ job id; returns the old one. The caller commits."""
    old = chunk.rq_job_id
    chunk.enqueues += 1
    chunk.rq_job_id = chunk_rq_job_id(chunk.render_job_id, chunk.attempt, chunk.position, chunk.enqueues)
    chunk.status, chunk.frames_done = ChunkStatus.PENDING, 0
    return old


def pending_rq_job_ids(job_id: uuid.UUID, attempt: int) -> list[str]:
    """Every RQ job of an attempt that may still be queued or running: unfinished chunks, the
    audio encode, the join."""
    ids = [c.rq_job_id for c in chunks_of(job_id, attempt) if c.status != ChunkStatus.DONE]
    return [*ids, audio_rq_job_id(job_id, attempt), join_rq_job_id(job_id, attempt)]


def delete_chunk_objects(job: RenderJob) -> int:
    """Delete the features, plan and segments of every attempt of ``job`` from storage."""
    try:
        deleted = get_storage().delete_prefix(chunks_prefix(job.user_id, job.id))
    except Exception:  # retention deletes the whole upload prefix later; never hide the outcome
        log.exception("render_chunk_cleanup_failed", extra={"render_job_id": str(job.id)})
        return 0
    if deleted:
        log.info("render_chunks_deleted", extra={"render_job_id": str(job.id), "objects": deleted})
    return deleted


def chunk_timings(job_id: uuid.UUID, attempt: int) -> list[float]:
    return [c.wall_seconds or 0.0 for c in chunks_of(job_id, attempt)]


def _chunk(job_id: uuid.UUID, attempt: int, position: int) -> RenderChunk | None:
    return db.session.scalars(
        sa.select(RenderChunk).where(RenderChunk.render_job_id == job_id, RenderChunk.attempt == attempt,
                                     RenderChunk.position == position)
        .execution_options(populate_existing=True)).one_or_none()


def _attempt_rq_job_id(job_id, attempt: int) -> str:
    return f"render-{job_id}-{attempt}"

