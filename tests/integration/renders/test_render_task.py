"""The render task's failure handling, kept-output reuse and the maintenance tasks (in-process worker)."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

from rq.registry import FailedJobRegistry

from app.extensions import db
from app.models import RenderJob, RenderStatus, utcnow
from app.services import render_recovery
from app.services.render_queue import enqueue_render, fetch_rq_job
from app.services.render_workspace import keep_output, output_dir, sha256_file
from app.services.storage import get_storage
from app.tasks.queues import get_queue
from app.tasks.schedule import PERIODIC_TASKS, enqueue_due_tasks
from tests.support import render_media


def reload(job_id) -> RenderJob:
    db.session.rollback()
    return db.session.get(RenderJob, job_id, populate_existing=True)


def test_an_attempt_that_fails_is_retried_then_fails_for_good_with_a_user_facing_error(
        client, auth_headers, render_job_factory, jobs, render_tmp):
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)  # its audio was never stored
    enqueue_render(job)
    jobs.run()
    job = reload(job.id)
    assert job.status == "queued"  # RQ will retry: back in the queue, error kept for the user
    assert job.error_code == "input_missing" and "Traceback" not in job.error_message
    rq_job = fetch_rq_job(job.rq_job_id)
    assert rq_job.get_status() == "scheduled" and rq_job.retries_left == 1
    for _ in range(2):
        assert jobs.release_scheduled() == 1
        jobs.run()
    job = reload(job.id)
    assert job.status == "failed" and job.failed_at is not None
    assert job.error_code == "input_missing"
    assert job.rq_job_id in FailedJobRegistry("high", connection=rq_job.connection)  # dead letters
    body = client.get(f"/api/v1/renders/{job.id}", headers=auth_headers(job.user)).json
    assert body["error"] == {"code": "input_missing",
                             "message": "The uploaded file is no longer available; upload it again."}
    assert list((render_tmp / "work").iterdir()) == []  # temp dir removed on the error path too


def _small_mp4(folder: Path) -> Path:
    return render_media.ffmpeg(folder / "kept.mp4", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10",
                               "-f", "lavfi", "-i", "sine=duration=1", "-t", "1", "-c:v", "libx264",
                               "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")


def test_a_failed_upload_is_retried_from_the_kept_video_without_rendering_again(
        app, render_job_factory, jobs, render_tmp, tmp_path):
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    video = _small_mp4(tmp_path)
    checksum = sha256_file(video)
    keep_output(job.id, video, {"sha256": checksum, "size": video.stat().st_size, "duration": 1.0})
    # a file where the user's renders/ folder should be: the storage write fails
    blocker = Path(app.config["STORAGE_LOCAL_ROOT"]) / "renders" / str(job.user_id)
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("in the way")
    try:
        enqueue_render(job)
        jobs.run()
        job = reload(job.id)
        assert job.status == "queued" and job.error_code == "render_failed"
        assert (output_dir(job.id) / "video.mp4").is_file()  # kept for the retry
    finally:
        blocker.unlink()
    assert jobs.release_scheduled() == 1
    jobs.run()
    job = reload(job.id)
    assert job.status == "completed", job.error_message
    assert job.output_checksum == checksum  # the kept file, not a new render
    stored = tmp_path / "stored.mp4"
    get_storage().download_to(job.output_key, stored)
    assert sha256_file(stored) == checksum
    assert not output_dir(job.id).exists()


def test_a_corrupted_kept_video_is_discarded(app_ctx, render_tmp, tmp_path):
    job_id = uuid.uuid4()
    video = _small_mp4(tmp_path)
    keep_output(job_id, video, {"sha256": "0" * 64, "size": 1, "duration": 1.0})
    from app.services.render_workspace import kept_output
    assert kept_output(job_id) is None
    assert not output_dir(job_id).exists()


def test_unpaid_uploads_are_deleted_after_the_retention(app_ctx, render_job_factory, tmp_path):
    storage = get_storage()
    source = tmp_path / "a.mp3"
    source.write_bytes(b"ID3 not really")
    old = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    recent = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    paid = render_job_factory(status=RenderStatus.QUEUED)
    for job in (old, recent, paid):
        storage.put_file(job.audio_key, source, content_type="audio/mpeg")
    storage.put_file(f"uploads/{old.user_id}/{old.id}/background.png", source, content_type="image/png")
    old.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert render_recovery.delete_unpaid_uploads() == 1
    assert list(storage.list(f"uploads/{old.user_id}/{old.id}/")) == []
    assert reload(old.id).status == "expired" and reload(old.id).expired_at is not None
    assert storage.exists(recent.audio_key) and storage.exists(paid.audio_key)
    assert reload(recent.id).status == "awaiting_payment"
    assert render_recovery.delete_unpaid_uploads() == 0  # nothing left to do the second time


def test_temp_cleanup_keeps_what_is_in_use(app_ctx, render_job_factory, render_tmp):
    running = render_job_factory(status=RenderStatus.RENDERING)
    done = render_job_factory(status=RenderStatus.COMPLETED)
    folders = {
        "stale upload": render_tmp / "uploads" / "tmpabc",
        "running work": render_tmp / "work" / f"{running.id}-xyz",
        "dead work": render_tmp / "work" / f"{done.id}-xyz",
        "queued output": render_tmp / "outputs" / str(running.id),
        "finished output": render_tmp / "outputs" / str(done.id),
    }
    for path in folders.values():
        path.mkdir(parents=True)
        os.utime(path, (0, 0))
    removed = render_recovery.cleanup_render_temp_files()
    assert removed == {"uploads": 1, "work": 1, "outputs": 1}
    assert folders["running work"].exists() and folders["queued output"].exists()
    assert not folders["dead work"].exists() and not folders["finished output"].exists()


def test_maintenance_tasks_are_scheduled_on_the_high_queue(app_ctx, redis_conn):
    paths = {entry.func_path for entry in PERIODIC_TASKS}
    mine = {"app.tasks.maintenance.reconcile_renders", "app.tasks.maintenance.clean_render_temp_files",
            "app.tasks.maintenance.delete_unpaid_render_uploads"}
    assert mine <= paths
    enqueued = enqueue_due_tasks()
    assert mine <= set(enqueued)
    assert not mine & set(enqueue_due_tasks())  # not again within the period
    names = {job.func_name for job in get_queue("high").jobs}
    assert mine <= names


def test_reconciler_leaves_healthy_jobs_alone(app, app_ctx, render_job_factory, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_RECONCILE_GRACE_SECONDS", 0)
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    enqueue_render(job)
    assert render_recovery.reconcile_render_jobs() == {"checked": 1, "requeued": 0, "failed": 0}
    worn = render_job_factory(status=RenderStatus.RENDERING, attempts=5, rq_job_id="render-gone-5",
                              started_at=utcnow() - timedelta(hours=1))
    result = render_recovery.reconcile_render_jobs()
    assert result["failed"] == 1
    worn = reload(worn.id)
    assert worn.status == "failed" and worn.error_code == "render_crashed"
