"""What happens when a render ends: retention clock, notifications, download links.

The render task calls ``on_render_completed`` after the video is stored and the job marked
``completed``, and ``on_render_failed`` once a job has failed for good. Both must be
idempotent: RQ may run the surrounding task more than once.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from app.extensions import db
from app.models import RenderJob


def on_render_completed(job: RenderJob) -> None:
    """Start the retention clock of the finished video."""
    if job.video_expires_at is None and job.completed_at is not None:
        job.video_expires_at = job.completed_at + timedelta(
            days=current_app.config["VIDEO_RETENTION_DAYS"])
        db.session.commit()


def on_render_failed(job: RenderJob) -> None:
    """A job failed for good (no retry left)."""
