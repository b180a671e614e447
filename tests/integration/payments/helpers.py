"""Small helpers shared by the payments integration tests."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import Payment, RenderJob, RenderStatus, StripeEvent
from app.tasks.queues import all_queues


def checkout(client, job, headers):
    return client.post(f"/api/v1/renders/{job.id}/checkout", headers=headers)


def queued_rq_job_ids() -> list[str]:
    """Every job id waiting on the real RQ queues (high, default, low)."""
    return sorted(job_id for queue in all_queues() for job_id in queue.get_job_ids())


def payments_of(job) -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(Payment).where(Payment.render_job_id == job.id).order_by(Payment.created_at)))


def reload(job) -> RenderJob:
    db.session.expire_all()
    return db.session.get(RenderJob, job.id)


def stripe_event_count() -> int:
    return db.session.scalar(select(func.count(StripeEvent.id)))


def awaiting_job(render_job_factory, user, **fields):
    return render_job_factory(user, status=RenderStatus.AWAITING_PAYMENT, **fields)


def upload(client, headers, audio: bytes, config: dict):
    """POST /api/v1/renders with ``audio`` (bytes of an MP3) and ``config``."""
    form = {"audio": (io.BytesIO(audio), "song.mp3"), "config": json.dumps(config)}
    return client.post("/api/v1/renders", data=form, headers=headers,
                       content_type="multipart/form-data")
