"""The worker's side of a render job: claim the row, record progress, finish it one way or another.

The render task parses the job id once: ``claim_render`` returns the ``RenderJob`` and the other
steps take that row (or its UUID). Every step re-reads the row under ``SELECT ... FOR UPDATE``
and acts only when the row still belongs to the calling attempt (``rq_job_id``) and is in the
state the step expects, so a stale attempt, a cancel or a concurrent reconciler can never be
overwritten. Delivery hears of a kept video or a final failure from here only.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.delivery import hooks
from app.extensions import db
from app.models import RenderJob, RenderOutput, RenderStatus, utcnow
from app.renders import status_cache
from app.renders.rows import lock_render_job
from app.renders.workspace import discard_output
from app.web.metrics import observe_render_outcome

log = logging.getLogger(__name__)

GENERIC_ERROR = ("render_failed", "The video could not be rendered. You can retry it.")


def claim_render(job_id: uuid.UUID, rq_job_id: str) -> RenderJob | None:
    """Mark the job ``rendering`` for this attempt; None when this attempt must not run."""
    job = lock_render_job(job_id)
    if job is None or job.rq_job_id != rq_job_id:
        db.session.rollback()
        log.info("render_attempt_stale", extra={"render_job_id": str(job_id), "rq_job_id": rq_job_id})
        return None
    status = RenderStatus(job.status)
    now = utcnow()
    if status == RenderStatus.QUEUED:
        job.transition(RenderStatus.RENDERING, now)
        job.progress, job.eta_seconds = 0, None
    elif status == RenderStatus.COMPLETED:
        db.session.commit()
        _video_kept(job)  # idempotent: finish what a crashed run began
        return None
    elif status != RenderStatus.RENDERING:  # canceled, failed, ...: nothing to do
        db.session.rollback()
        log.info("render_not_runnable", extra={"render_job_id": str(job_id), "status": status.value})
        return None
    job.progress_updated_at = now  # also when resuming a run whose worker died
    db.session.commit()
    log.info("render_started", extra={"render_job_id": str(job.id), "attempt": job.attempts})
    return job


def record_progress(job_id: uuid.UUID, rq_job_id: str, percent: float,
                    eta_seconds: float | None) -> None:
    """Write progress (0-99 while running) and ETA; never touches a canceled or stale row.

    Progress only climbs within an attempt: the chunks of a chunked render report from several
    workers at once, and a writer that read the totals a moment earlier must not pull it back.
    """
    percent = max(0, min(99, int(percent)))
    db.session.execute(
        sa.update(RenderJob)
        .where(RenderJob.id == job_id, RenderJob.rq_job_id == rq_job_id,
               RenderJob.status == RenderStatus.RENDERING)
        .values(progress=sa.case((RenderJob.progress > percent, RenderJob.progress), else_=percent),
                eta_seconds=None if eta_seconds is None else max(0, round(eta_seconds)),
                progress_updated_at=utcnow()))
    db.session.commit()
    status_cache.forget([job_id])  # a Core UPDATE: the session's commit hook does not see it


def heartbeat(conn: Connection, job_id: uuid.UUID, rq_job_id: str, *, touch: bool) -> bool:
    """From the worker's watcher thread: True while this attempt should keep rendering.

    With ``touch``, also stamps ``progress_updated_at`` (the reconciler's sign of life).
    """
    table = RenderJob.__table__
    if touch:
        conn.execute(sa.update(table).where(table.c.id == job_id, table.c.rq_job_id == rq_job_id,
                                            table.c.status == RenderStatus.RENDERING.value)
                     .values(progress_updated_at=utcnow()))
    row = conn.execute(sa.select(table.c.status, table.c.cancel_requested, table.c.rq_job_id)
                       .where(table.c.id == job_id)).one_or_none()
    conn.commit()
    return (row is not None and row.status == RenderStatus.RENDERING.value
            and not row.cancel_requested and row.rq_job_id == rq_job_id)


def complete_render(job: RenderJob, rq_job_id: str, *, output_key: str, size: int, duration: float,
                    checksum: str, outputs: list[dict] | None = None) -> bool:
    """Mark the job ``completed`` with its stored video, drop the kept output and hand the job
    to delivery; False (nothing done) when it was canceled meanwhile.

    ``outputs``: every stored format of an order (``{size, output_key, size_bytes, duration,
    checksum}``, the first being the job's own ``output_*``); one ``render_outputs`` row each.
    """
    if lock_render_job(job.id) is None or job.rq_job_id != rq_job_id \
            or job.status != RenderStatus.RENDERING:
        db.session.rollback()
        return False
    job.output_key, job.output_size = output_key, size
    job.output_duration, job.output_checksum = duration, checksum
    if outputs is None:
        outputs = [{"size": job.formats[0], "output_key": output_key,
                    "size_bytes": size, "duration": duration, "checksum": checksum}]
    job.outputs = [RenderOutput(position=position, **output) for position, output in enumerate(outputs)]
    job.progress, job.eta_seconds, job.progress_updated_at = 100, 0, utcnow()
    job.error_code = job.error_message = None
    job.transition(RenderStatus.COMPLETED, utcnow())
    db.session.commit()
    discard_output(job.id)
    observe_render_outcome(job.config, "completed")
    log.info("render_completed", extra={"render_job_id": str(job.id), "size": size,
                                        "duration": duration, "attempt": job.attempts})
    _video_kept(job)
    return True


def _video_kept(job: RenderJob) -> None:
    """The one place delivery hears of a kept video (a first completion or a re-claim)."""
    hooks.on_video_kept(job)


def finish_canceled(job_id: uuid.UUID, rq_job_id: str) -> None:
    """The render stopped because of a cancel: make sure the row says so, drop kept output."""
    job = lock_render_job(job_id)
    if job is not None and job.rq_job_id == rq_job_id and job.status == RenderStatus.RENDERING:
        job.transition(RenderStatus.CANCELED, utcnow())
    db.session.commit()
    discard_output(job_id)
    observe_render_outcome(job.config if job is not None else None, "canceled")
    log.info("render_stopped_by_cancel", extra={"render_job_id": str(job_id)})


def record_render_failure(job_id: uuid.UUID, rq_job_id: str, code: str, message: str, *,
                          final: bool, at: datetime | None = None) -> RenderJob | None:
    """After a failed attempt: keep the user-facing error; ``failed`` when no retry is left,
    else back to ``queued`` for RQ's retry. Ignores stale attempts and finished rows."""
    job = lock_render_job(job_id)
    if job is None or job.rq_job_id != rq_job_id or \
            RenderStatus(job.status) not in (RenderStatus.QUEUED, RenderStatus.RENDERING):
        db.session.rollback()
        return None
    job.error_code, job.error_message = code, message
    job.eta_seconds = None
    if final:
        fail_job(job, code, message, at=at)
        return job
    if job.status == RenderStatus.RENDERING:
        job.transition(RenderStatus.QUEUED, at or utcnow())
    job.progress = 0
    db.session.commit()
    observe_render_outcome(job.config, "retrying")
    log.warning("render_attempt_failed", extra={"render_job_id": str(job.id), "error_code": code,
                                                "will_retry": True})
    return job


def fail_job(job: RenderJob, code: str, message: str, *, at: datetime | None = None) -> None:
    """Move a (locked) job to ``failed`` for good, commit, drop its kept output, tell delivery."""
    job.error_code, job.error_message = code, message
    job.eta_seconds = None
    job.transition(RenderStatus.FAILED, at or utcnow())
    db.session.commit()
    discard_output(job.id)
    observe_render_outcome(job.config, "failed")
    log.warning("render_failed", extra={"render_job_id": str(job.id), "error_code": code,
                                        "attempts": job.attempts})
    try:
        hooks.on_render_failed(job)
    except Exception:  # the failure is recorded; a notification problem must not hide it
        log.exception("render_failed_hook_error", extra={"render_job_id": str(job.id)})
