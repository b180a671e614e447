"""What happens when a render ends: retention clock, notifications, download links, expiry.

The render task calls ``on_render_completed`` after the video is stored and the job marked
``completed``, and ``on_render_failed`` once a job has failed for good. Both are idempotent
(RQ may run the surrounding task more than once): the retention clock is set once and each
email is recorded once per (job, kind) by the email service.

Download links: ``download_link_for(user, job_id)`` (the API) and ``issue_download_link(job)``
(the email) ask the storage adapter for a link that works ``DOWNLOAD_LINK_TTL`` seconds (at most
seven days). Links are secrets: they are never logged.

Retention: ``expire_due_renders`` (run by the periodic task in ``app/tasks/retention.py``)
deletes every object under the storage prefixes of each job whose retention is over (the
video, the audio and every uploaded image) and marks it ``expired``. Rows are claimed with
``FOR UPDATE SKIP LOCKED``, so two runs at once share the work and never delete the same object
twice.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import lazyload

from app.adapters import get_storage
from app.adapters.storage.base import (
    MAX_LINK_SECONDS,
    StorageError,
    StorageNotFound,
    sanitise_filename,
)
from app.errors import Conflict, Forbidden, Gone, NotFound, UpstreamError
from app.extensions import db
from app.mail.queueing import queue_email
from app.models import PaymentStatus, RenderJob, RenderStatus, User, utcnow
from app.services.job_storage import delete_job_objects

log = logging.getLogger(__name__)

VIDEO_READY = "video_ready"
RENDER_FAILED = "render_failed"
MIN_LINK_SECONDS = 60
RETENTION_BATCH_SIZE = 100


# -- names and lifetimes ----------------------------------------------------------------------

def download_filename(job: RenderJob) -> str:
    """``<title or original file name>.mp4``, sanitised for a Content-Disposition header."""
    title = str((job.config or {}).get("title") or "").strip()
    stem = title or PurePosixPath(job.audio_filename or "").stem
    return sanitise_filename(stem, extension=".mp4")


def download_link_ttl(config=None) -> int:
    """Seconds a download link works: ``DOWNLOAD_LINK_TTL``, between a minute and seven days."""
    config = config if config is not None else current_app.config
    return max(MIN_LINK_SECONDS, min(int(config["DOWNLOAD_LINK_TTL"]), MAX_LINK_SECONDS))


def video_expiry(completed_at: datetime, config=None) -> datetime:
    config = config if config is not None else current_app.config
    return completed_at + timedelta(days=int(config["VIDEO_RETENTION_DAYS"]))


# -- download links ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


def issue_download_link(job: RenderJob, *, now: datetime | None = None) -> DownloadLink:
    """A fresh link to the job's video; the job must be completed and its video kept."""
    now = now or utcnow()
    if job.status == RenderStatus.EXPIRED or (job.video_expires_at and job.video_expires_at <= now):
        raise Gone("This video has passed its retention period and was deleted.",
                   code="video_expired", details={"expired_at": _iso(job.expired_at
                                                                     or job.video_expires_at)})
    if job.status != RenderStatus.COMPLETED or not job.output_key:
        raise Conflict(f"The render is {job.status}; a download exists once it is completed.",
                       code="render_not_completed", details={"status": str(job.status)})
    ttl = download_link_ttl()
    if job.video_expires_at is not None:  # a link never outlives the video
        ttl = max(1, min(ttl, math.floor((job.video_expires_at - now).total_seconds())))
    expires_at = now.replace(microsecond=0) + timedelta(seconds=ttl)
    try:
        url = get_storage().download_url(job.output_key, expires_in=ttl,
                                         filename=download_filename(job))
    except StorageNotFound as exc:
        log.error("download_video_missing", extra={"render_job_id": str(job.id)})
        raise Gone("The video file is no longer available.", code="video_missing") from exc
    except StorageError as exc:
        log.error("download_link_failed", extra={"render_job_id": str(job.id),
                                                 "error_type": type(exc).__name__})
        raise UpstreamError("A download link could not be created; try again shortly.") from exc
    log.info("download_link_issued", extra={"render_job_id": str(job.id), "ttl_seconds": ttl})
    return DownloadLink(url=url, expires_at=expires_at)


def download_link_for(user: User, job_id: uuid.UUID) -> DownloadLink:
    """The API's ``GET /renders/{id}/download``: owner only (another user's job is 404)."""
    job = db.session.get(RenderJob, job_id)
    if job is None or job.user_id != user.id:
        raise NotFound("No render with this id.", code="render_not_found")
    return issue_download_link(job)


@dataclass(frozen=True)
class LocalDownload:
    path: Path
    content_type: str
    filename: str | None


def open_local_download(token: str) -> LocalDownload:
    """The file a local-storage link points at (the signed route of the embedded default)."""
    from app.adapters.storage.local import (
        ExpiredDownloadToken,
        InvalidDownloadToken,
        LocalStorage,
        read_download_token,
    )

    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        raise NotFound("No such download.", code="download_not_found")
    try:
        grant = read_download_token(current_app.config["SECRET_KEY"], token)
    except InvalidDownloadToken as exc:
        raise Forbidden("This download link is not valid.", code="invalid_download_link") from exc
    except ExpiredDownloadToken as exc:
        raise Gone("This download link has expired; ask for a fresh one.",
                   code="download_link_expired") from exc
    try:
        path = storage.path_for(grant.key)
    except StorageError as exc:
        raise Forbidden("This download link is not valid.", code="invalid_download_link") from exc
    if not path.is_file():
        raise Gone("The video file is no longer available.", code="video_missing")
    content_type = storage.metadata(grant.key).get("content_type") or "application/octet-stream"
    return LocalDownload(path=path, content_type=content_type, filename=grant.filename)


# -- hooks called by the render task ----------------------------------------------------------

def on_render_completed(job: RenderJob) -> None:
    """Start the retention clock and email the owner a link (once per job, whatever retries)."""
    if job.video_expires_at is None and job.completed_at is not None:
        job.video_expires_at = video_expiry(job.completed_at)
        db.session.commit()
    try:
        link = issue_download_link(job)
    except UpstreamError:
        link = None  # the email then points at the app, which issues a fresh link
    duration = job.output_duration or job.audio_duration
    queue_email(to=job.user.email, template=VIDEO_READY, kind=VIDEO_READY, user_id=job.user_id,
                render_job_id=job.id, context={
                    "title": _title(job),
                    "duration": format_duration(duration),
                    "download_url": link.url if link else "",
                    "link_expires_at": format_instant(link.expires_at) if link else "",
                    "video_expires_at": format_instant(job.video_expires_at),
                    "retention_days": int(current_app.config["VIDEO_RETENTION_DAYS"]),
                    "render_id": str(job.id),
                })


def on_render_failed(job: RenderJob) -> None:
    """A job failed for good (no retry left): one email, worded for the payment state."""
    queue_email(to=job.user.email, template=RENDER_FAILED, kind=RENDER_FAILED, user_id=job.user_id,
                render_job_id=job.id, context={
                    "title": _title(job),
                    "charge_state": charge_state(job),
                    "error_message": job.error_message or "",
                    "render_id": str(job.id),
                })


def charge_state(job: RenderJob) -> str:
    """How the failure email speaks about money: ``refunded``, ``paid`` (retry at no charge)
    or ``not_charged`` (payments off, or never paid)."""
    statuses = {PaymentStatus(p.status) for p in job.payments}
    if PaymentStatus.REFUNDED in statuses:
        return "refunded"
    if PaymentStatus.PAID in statuses:
        return "paid"
    return "not_charged"


# -- retention --------------------------------------------------------------------------------

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


# -- formatting for emails --------------------------------------------------------------------

def _title(job: RenderJob) -> str:
    title = str((job.config or {}).get("title") or "").strip()
    return title or PurePosixPath(job.audio_filename or "").stem or "your video"


def format_duration(seconds: float | None) -> str:
    """``2:05`` or ``1:02:05``."""
    total = round(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_instant(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%d %B %Y, %H:%M UTC")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None
