"""The reconciler and a chunked render: only the chunks RQ lost are enqueued again (the render
keeps its attempt), then the join; a chunk lost too often fails the job and its stored chunks go."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from app.adapters import get_storage
from app.delivery.job_storage import chunk_plan_key, chunks_prefix, segment_key
from app.extensions import db
from app.models import ChunkStatus, RenderChunk, RenderJob, RenderStatus, utcnow
from app.renders import chunking
from app.renders import recovery as render_recovery
from app.renders.chunk_tasks import render_chunk_task
from app.tasks.jobs import fetch_job

LONG = {"template": "bars", "size": "720x720", "fps": 24}


@pytest.fixture
def no_grace(app, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_RECONCILE_GRACE_SECONDS", 0)
    monkeypatch.setitem(app.config, "RENDER_CHUNK_SECONDS", 10)


def reload(job_id) -> RenderJob:
    db.session.rollback()
    return db.session.get(RenderJob, job_id, populate_existing=True)


def rendering_chunked_job(render_job_factory, statuses: list[ChunkStatus], enqueues: int = 1) -> RenderJob:
    """A job part-way through its chunks, silent for an hour (its heartbeats stopped)."""
    job_id = uuid.uuid4()
    long_ago = utcnow() - timedelta(hours=1)
    job = render_job_factory(id=job_id, status=RenderStatus.RENDERING, attempts=1,
                             rq_job_id=f"render-{job_id}-1", config=LONG, audio_duration=25.0,
                             priority="high", started_at=long_ago, progress_updated_at=long_ago)
    for position, status in enumerate(statuses):
        db.session.add(RenderChunk(
            render_job_id=job.id, attempt=1, position=position, frame_start=240 * position,
            frame_end=min(240 * (position + 1), 600), status=status, enqueues=enqueues, frames_done=0,
            rq_job_id=chunking.chunk_rq_job_id(job.id, 1, position, enqueues),
            segment_key=segment_key(job.user_id, job.id, 1, position, enqueues)
            if status == ChunkStatus.DONE else None))
    db.session.commit()
    return job


def store(key: str, tmp_path: Path) -> None:
    path = tmp_path / "object"
    path.write_bytes(b"x")
    get_storage().put_file(key, path, content_type="application/octet-stream")


def test_reconciler_requeues_only_the_lost_chunk_then_the_join(app_ctx, render_job_factory, no_grace):
    job = rendering_chunked_job(render_job_factory,
                                [ChunkStatus.DONE, ChunkStatus.PENDING, ChunkStatus.PENDING])
    chunks = chunking.chunks_of(job.id, 1)
    waiting = render_chunk_task.enqueue(str(job.id), 1, 1, job_id=chunks[1].rq_job_id, queue="high")
    lost = chunks[2].rq_job_id  # never made it to Redis (or Redis lost it)
    assert fetch_job(lost) is None

    assert render_recovery.reconcile_render_jobs() == {"checked": 1, "requeued": 1, "failed": 0}
    job = reload(job.id)
    assert (job.status, job.attempts, job.rq_job_id) == ("rendering", 1, f"render-{job.id}-1")
    chunks = chunking.chunks_of(job.id, 1)
    assert [c.enqueues for c in chunks] == [1, 1, 2]  # the done and the waiting chunk untouched
    assert chunks[1].rq_job_id == waiting.id and fetch_job(waiting.id).get_status() == "queued"
    again = fetch_job(chunks[2].rq_job_id)
    assert again.get_status() == "queued" and again.args == (str(job.id), 1, 2)
    assert render_recovery.reconcile_render_jobs()["requeued"] == 0  # once

    # every chunk done, the join lost: the join, and only it, is queued
    for chunk in chunks:
        chunk.status = ChunkStatus.DONE
        fetch_job(chunk.rq_job_id) and fetch_job(chunk.rq_job_id).delete()
    db.session.commit()
    assert render_recovery.reconcile_render_jobs() == {"checked": 1, "requeued": 1, "failed": 0}
    join = fetch_job(chunking.join_rq_job_id(job.id, 1))
    assert join.get_status() == "queued" and join.func_name == "app.renders.chunk_tasks.join_chunks_task"
    assert render_recovery.reconcile_render_jobs()["requeued"] == 0
    assert reload(job.id).attempts == 1


def test_a_chunk_lost_too_often_fails_the_job_and_its_chunks_are_deleted(
        app_ctx, render_job_factory, no_grace, tmp_path):
    job = rendering_chunked_job(render_job_factory, [ChunkStatus.DONE, ChunkStatus.PENDING], enqueues=5)
    store(chunk_plan_key(job.user_id, job.id, 1), tmp_path)
    store(segment_key(job.user_id, job.id, 1, 0, 5), tmp_path)
    assert render_recovery.reconcile_render_jobs() == {"checked": 1, "requeued": 0, "failed": 1}
    job = reload(job.id)
    assert job.status == "failed" and job.error_code == "render_crashed"
    assert list(get_storage().list(chunks_prefix(job.user_id, job.id))) == []
