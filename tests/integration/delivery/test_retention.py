"""Retention: expired videos and uploads deleted once, jobs marked expired, API answers 410."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.adapters.storage.base import StorageError
from app.extensions import db
from app.models import RenderJob, RenderStatus, utcnow
from app.services.delivery import expire_due_renders
from app.services.storage import get_storage
from app.tasks.retention import expire_renders
from app.tasks.schedule import PERIODIC_TASKS, enqueue_due_tasks
from tests.support import factories

PAST = timedelta(days=8)


def _status(job_id) -> str:
    db.session.expire_all()
    return db.session.get(RenderJob, job_id).status


def test_two_runs_at_once_delete_each_object_once(app, gcs_app, gcs, finished_job, client,
                                                  auth_headers):
    due = [finished_job(completed_at=utcnow() - PAST) for _ in range(8)]
    kept = finished_job()
    gcs.proxy.reset()
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                reports.append(expire_due_renders(batch_size=2))
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(reports) == 2
    assert sum(r.jobs_expired for r in reports) == 8
    assert sum(r.objects_deleted for r in reports) == 16

    deletes = [r.path.split("?")[0] for r in gcs.proxy.requests_matching("DELETE")]
    assert len(deletes) == 16 and len(set(deletes)) == 16  # each object deleted exactly once
    for job in due:
        assert _status(job.id) == RenderStatus.EXPIRED
        assert db.session.get(RenderJob, job.id).expired_at is not None
        assert not get_storage().exists(job.output_key)
        assert not get_storage().exists(job.audio_key)
        response = client.get(f"/api/v1/renders/{job.id}/download", headers=auth_headers(job.user))
        assert response.status_code == 410
    assert _status(kept.id) == RenderStatus.COMPLETED
    assert get_storage().exists(kept.output_key) and get_storage().exists(kept.audio_key)
    assert client.get(f"/api/v1/renders/{kept.id}/download",
                      headers=auth_headers(kept.user)).status_code == 200
    assert expire_due_renders().jobs_expired == 0  # a later run finds nothing to do


def test_failed_and_canceled_jobs_lose_their_uploads_after_retention(app_ctx, local_storage,
                                                                     tmp_path):
    def job_with_upload(status, ended_at):
        user = factories.make_user()
        column = {"failed": "failed_at", "canceled": "canceled_at"}[status]
        job = factories.make_render_job(user, status=status, **{column: ended_at})
        source = tmp_path / "a.mp3"
        source.write_bytes(b"audio")
        local_storage.put_file(job.audio_key, source, content_type="audio/mpeg")
        return job

    old_failed = job_with_upload("failed", utcnow() - PAST)
    old_canceled = job_with_upload("canceled", utcnow() - PAST)
    recent_failed = job_with_upload("failed", utcnow() - timedelta(days=1))
    report = expire_due_renders()
    assert report.jobs_expired == 2
    assert _status(old_failed.id) == _status(old_canceled.id) == RenderStatus.EXPIRED
    assert not local_storage.exists(old_failed.audio_key)
    assert not local_storage.exists(old_canceled.audio_key)
    assert _status(recent_failed.id) == RenderStatus.FAILED  # still retryable
    assert local_storage.exists(recent_failed.audio_key)


def test_storage_failure_leaves_the_job_for_the_next_run(gcs_app, gcs, finished_job):
    broken = finished_job(completed_at=utcnow() - PAST)
    fine = finished_job(completed_at=utcnow() - PAST)
    gcs.proxy.fail_next(3, status=503, method="DELETE", path_contains=broken.output_key)
    with pytest.raises(StorageError):
        expire_renders()
    assert _status(broken.id) == RenderStatus.COMPLETED
    assert _status(fine.id) == RenderStatus.EXPIRED
    assert get_storage().exists(broken.output_key)

    assert expire_renders() == {"jobs_expired": 1, "objects_deleted": 2}
    assert _status(broken.id) == RenderStatus.EXPIRED
    assert not get_storage().exists(broken.output_key)
    assert not get_storage().exists(broken.audio_key)


def test_retention_is_scheduled_with_the_worker(app_ctx, local_storage, finished_job, jobs):
    (entry,) = [t for t in PERIODIC_TASKS if t.func_path == "app.tasks.retention.expire_renders"]
    due = finished_job(completed_at=utcnow() - PAST)
    assert enqueue_due_tasks([entry]) == [entry.func_path]
    assert enqueue_due_tasks([entry]) == []  # once per period, whatever the number of workers
    jobs.run()
    assert _status(due.id) == RenderStatus.EXPIRED
    assert db.session.scalar(select(db.func.count()).select_from(RenderJob).where(
        RenderJob.status == RenderStatus.COMPLETED)) == 0
