"""Identical requests are not rendered (nor charged) twice.

Two render requests are identical when the audio and every uploaded image have the same bytes,
the normalized config is the same and the engine version is the same
(:data:`app.rendering.ENGINE_VERSION`). An identical request by the same user gets the job it
already has, while that job can still give them the video: waiting for payment, queued,
rendering, or completed with the video still stored. Nothing is shared across users, and a new
engine version makes every older render a stranger.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import RenderJob, RenderStatus
from app.rendering import ENGINE_VERSION

REUSABLE = (RenderStatus.AWAITING_PAYMENT, RenderStatus.QUEUED, RenderStatus.RENDERING,
            RenderStatus.COMPLETED)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def render_key(audio: Path, config: Mapping, images: Mapping[str, Path],
               engine_version: str | None = None) -> str:
    """The identity of a request: a digest over the contents, the config and the engine version."""
    identity = {
        "engine": engine_version or ENGINE_VERSION,
        "audio": file_digest(audio),
        "images": {name: file_digest(path) for name, path in sorted(images.items())},
        "config": config,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def reusable_job(user_id: uuid.UUID, key: str, now: datetime | None = None) -> RenderJob | None:
    """The newest job of ``user_id`` with this key that can still deliver its video, if any."""
    now = now or datetime.now(UTC)
    candidates = db.session.scalars(
        select(RenderJob)
        .where(RenderJob.user_id == user_id, RenderJob.render_key == key,
               RenderJob.status.in_([str(s) for s in REUSABLE]))
        .order_by(RenderJob.created_at.desc())
    )
    for job in candidates:
        if job.status != RenderStatus.COMPLETED:
            return job
        expires = job.video_expires_at
        if job.output_key and (expires is None or _aware(expires) > now):
            return job
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
