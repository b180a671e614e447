"""What delivery does when a render ends -- the one place it is triggered from.

``app.renders.execution`` calls ``on_video_kept`` once the video is stored and the job marked
``completed`` (and again when a completed row is claimed a second time), and
``on_render_failed`` once a job has failed for good. Both are idempotent (RQ may run the
surrounding task more than once): the retention clock is set once and each email is recorded
once per (job, kind) by ``app.mail``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from flask import current_app

from app.delivery.links import issue_download_link, video_title
from app.delivery.retention import video_expiry
from app.errors import NotFound, UpstreamError
from app.extensions import db
from app.mail.queueing import queue_email
from app.models import PaymentStatus, RenderJob

VIDEO_READY = "video_ready"
RENDER_FAILED = "render_failed"


def on_video_kept(job: RenderJob) -> None:
    """Start the retention clock and email the owner a link (once per job, whatever retries)."""
    if job.video_expires_at is None and job.completed_at is not None:
        job.video_expires_at = video_expiry(job.completed_at)
        db.session.commit()
    queue_email(to=job.user.email, template=VIDEO_READY, kind=VIDEO_READY, user_id=job.user_id,
                render_job_id=job.id, context=video_ready_context(job))


def video_ready_context(job: RenderJob) -> dict:
    """What the "video ready" email says, with a fresh download link per format of the order."""
    links = {}
    for size in job.formats:  # one link per format of an order, the first being the job's own
        try:
            links[size] = issue_download_link(job, size=size)
        except (UpstreamError, NotFound):
            links[size] = None  # the email then points at the app, which issues a fresh link
    link = links[job.formats[0]]
    duration = job.output_duration or job.audio_duration
    return {
        "title": _title(job),
        "duration": format_duration(duration),
        "download_url": link.url if link else "",
        "link_expires_at": format_instant(link.expires_at) if link else "",
        "video_expires_at": format_instant(job.video_expires_at),
        "retention_days": int(current_app.config["VIDEO_RETENTION_DAYS"]),
        "render_id": str(job.id),
        "downloads": [{"size": size, "label": format_label(size), "url": found.url if found else ""}
                      for size, found in links.items()] if len(links) > 1 else [],
    }


def format_label(size: str) -> str:
    """``1080x1920`` -> ``9:16, 1080x1920``."""
    width, height = (int(v) for v in size.split("x"))
    divisor = math.gcd(width, height)
    return f"{width // divisor}:{height // divisor}, {width}x{height}"


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


def _title(job: RenderJob) -> str:
    return video_title(job) or "your video"


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
