"""What an operator does to a finished render's video: delete what is stored, resend its
"video ready" email. Each returns what changed (``changes``: field -> {"before", "after"}) for
the audit trail.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.adapters import get_storage
from app.adapters.storage import StorageError
from app.delivery.hooks import VIDEO_READY, video_ready_context
from app.delivery.job_storage import delete_job_objects
from app.errors import Conflict, NotFound, UpstreamError
from app.extensions import db
from app.mail.queueing import queue_email
from app.models import RenderJob, RenderStatus, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoDeletion:
    render_job_id: uuid.UUID
    objects_deleted: int  # the video and the job's uploads
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class EmailResend:
    render_job_id: uuid.UUID
    delivery_id: uuid.UUID  # the new ``email_deliveries`` row
    resend: int  # its number (1 for the first resend)
    recipient: str
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _locked_job(job_id: uuid.UUID) -> RenderJob:
    job = db.session.scalars(
        select(RenderJob).where(RenderJob.id == job_id).with_for_update(of=RenderJob)
        .execution_options(populate_existing=True)).one_or_none()
    if job is None:
        db.session.rollback()
        raise NotFound("No render job with this id.", code="render_not_found")
    return job


def delete_stored_video(job_id: uuid.UUID, *, actor_id: uuid.UUID | None) -> VideoDeletion:
    """Delete a completed render's stored video (and its uploads) now, ahead of retention.

    The row records it (``video_deleted_at``; status ``expired``), and the download then answers
    410 ``video_deleted``. Only a ``completed`` job has a video (else 409
    ``invalid_render_state``); a storage failure is 502 ``storage_error`` with the row unchanged
    (what was already deleted stays deleted; asking again finishes).
    """
    job = _locked_job(job_id)
    if RenderStatus(job.status) != RenderStatus.COMPLETED:
        db.session.rollback()
        raise Conflict(f"The render is {job.status}; only a completed render has a video to "
                       "delete.", code="invalid_render_state", details={"status": str(job.status)})
    before = {"status": str(job.status), "video_deleted_at": None,
              "expired_at": _iso(job.expired_at)}
    try:
        deleted = delete_job_objects(get_storage(), job)
    except StorageError as exc:
        db.session.rollback()
        log.warning("video_delete_failed", extra={"render_job_id": str(job_id),
                                                  "error_type": type(exc).__name__})
        raise UpstreamError("The storage could not delete the video; try again shortly.",
                            code="storage_error") from exc
    now = utcnow()
    job.video_deleted_at = now
    job.transition(RenderStatus.EXPIRED, now)
    db.session.commit()
    after = {"status": str(job.status), "video_deleted_at": _iso(job.video_deleted_at),
             "expired_at": _iso(job.expired_at)}
    log.info("video_deleted", extra={"render_job_id": str(job_id), "objects": deleted,
                                     "actor_id": str(actor_id) if actor_id else None})
    return VideoDeletion(job.id, deleted, {k: {"before": before[k], "after": after[k]}
                                           for k in before if before[k] != after[k]})


def resend_video_ready_email(job_id: uuid.UUID, *,
                             actor_id: uuid.UUID | None) -> EmailResend:
    """Send the "video ready" email of a completed render again, with a fresh link: a new
    delivery row through ``queue_email`` (the earlier ones stay as they were).

    Only a ``completed`` render with its video (else 409 ``invalid_render_state``); the queue
    away is 503 with nothing recorded.
    """
    job = db.session.get(RenderJob, job_id)
    if job is None:
        raise NotFound("No render job with this id.", code="render_not_found")
    if RenderStatus(job.status) != RenderStatus.COMPLETED or not job.output_key:
        raise Conflict(f"The render is {job.status}; the video-ready email is sent for a "
                       "completed render only.", code="invalid_render_state",
                       details={"status": str(job.status)})
    delivery = queue_email(to=job.user.email, template=VIDEO_READY, kind=VIDEO_READY,
                           user_id=job.user_id, render_job_id=job.id,
                           context=video_ready_context(job), resend=True)
    log.info("email_resent", extra={"render_job_id": str(job.id), "delivery_id": str(delivery.id),
                                    "actor_id": str(actor_id) if actor_id else None})
    return EmailResend(job.id, delivery.id, delivery.resend, delivery.recipient,
                       {"email_deliveries": {"before": delivery.resend,
                                             "after": delivery.resend + 1}})
