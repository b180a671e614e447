"""Retention: how long a finished video is kept, and deleting what is past it.

``expire_due_renders`` (run every 15 minutes by ``app.delivery.tasks.expire_renders``) deletes
every object under the storage prefixes of each job whose retention is over (the video, the
audio and every uploaded image) and marks it ``expired``. Rows are claimed with
``FOR UPDATE SKIP LOCKED``, so two runs at once share the work and never delete the same object
twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import lazyload

from app.adapters import get_storage
from app.adapters.storage import StorageError
from app.delivery.job_storage import delete_job_objects
from app.extensions import db
from app.models import RenderJob, RenderStatus, utcnow

log = logging.getLogger(__name__)

RETENTION_BATCH_SIZE = 100


def video_expiry(completed_at: datetime, config=None) -> datetime:
    config = config if config is not None else current_app.config
    return completed_at + timedelta(days=int(config["VIDEO_RETENTION_DAYS"]))


@dataclass
class ExpiryReport:
    jobs_expired: int = 0
    objects_deleted: int = 0
    failures: list[str] = field(default_factory=list)


def _due_condition(now: datetime):
    ended_before = now - timedelta(days=int(current_app.config["VIDEO_RETENTION_DAYS"]))
    return or_(
        and_(RenderJob.status == RenderStatus.COMPLETED, RenderJob.video_expires_at <= now),
        and_(RenderJob.status == RenderStatus.FAILED, RenderJob.failed_at <= ended_before),
        and_(RenderJob.status == RenderStatus.CANCELED, RenderJob.canceled_at <= ended_before),
    )


def expire_due_renders(*, now: datetime | None = None, batch_size: int = RETENTION_BATCH_SIZE,
                       max_batches: int | None = None) -> ExpiryReport:
    """Delete the objects of every job whose retention is over and mark it ``expired``.

    Completed jobs expire at ``video_expires_at``; failed and canceled ones (whose uploads are
    kept for a retry) ``VIDEO_RETENTION_DAYS`` after they ended. Each batch is claimed with
    ``FOR UPDATE SKIP LOCKED`` and committed on its own. A job whose objects could not all be
    deleted stays as it is and is named in ``failures`` (the next run tries again).
    """
    now = now or utcnow()
    report = ExpiryReport()
    skipped: set[uuid.UUID] = set()
    storage = get_storage()
    batches = 0
    while max_batches is None or batches < max_batches:
        query = (select(RenderJob).options(lazyload(RenderJob.user)).where(_due_condition(now))
                 .order_by(RenderJob.id).limit(batch_size)
                 .with_for_update(skip_locked=True, of=RenderJob))
        if skipped:
            query = query.where(RenderJob.id.not_in(skipped))
        jobs = db.session.scalars(query).unique().all()
        if not jobs:
            db.session.rollback()
            break
        batches += 1
        for job in jobs:
            try:
                report.objects_deleted += delete_job_objects(storage, job)
            except StorageError as exc:
                skipped.add(job.id)
                report.failures.append(str(job.id))
                log.warning("retention_delete_failed", extra={"render_job_id": str(job.id),
                                                              "error_type": type(exc).__name__})
                continue
            job.transition(RenderStatus.EXPIRED, now)
            report.jobs_expired += 1
        db.session.commit()
    if report.jobs_expired or report.failures:
        log.info("retention_run", extra={"jobs_expired": report.jobs_expired,
                                         "objects_deleted": report.objects_deleted,
                                         "failures": len(report.failures)})
    return report
