"""Small helpers shared by the payments integration tests."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import Payment, RenderJob, RenderStatus, StripeEvent, utcnow
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


def render_completed(job, tmp_path) -> str:
    """The job has been rendered: completed, with a (tiny) video stored at its output key, and
    its render task taken off the queue (a worker consumed it)."""
    from rq.job import Job

    from app.adapters import get_storage
    from app.extensions import get_redis

    key = f"renders/{job.user_id}/{job.id}.mp4"
    video = tmp_path / "video.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    get_storage().put_file(key, video, content_type="video/mp4")
    job = reload(job)
    if job.rq_job_id:
        Job.fetch(job.rq_job_id, connection=get_redis()).delete()
    job.transition(RenderStatus.RENDERING, utcnow())
    job.transition(RenderStatus.COMPLETED, utcnow())
    job.output_key, job.output_size = key, video.stat().st_size
    db.session.commit()
    return key


def run_queue(app, name: str) -> None:
    """Perform, in this process, every job waiting on the queue ``name`` (and no other)."""
    import os

    from app.extensions import get_redis
    from app.tasks.queues import get_queue
    from tests.support.job_runner import InProcessWorker

    with app.app_context():
        worker = InProcessWorker([get_queue(name)], connection=get_redis())
    worker.app, worker.parent_pid = app, os.getpid()
    worker.work(burst=True, with_scheduler=False)
