"""The render task on an in-process worker: failure handling, kept-output reuse, the stored-size
check, a cancel while the video uploads, and a completed row claimed again."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from pathlib import Path

from rq.registry import FailedJobRegistry
from sqlalchemy import select

from app.adapters import get_storage
from app.extensions import db
from app.models import EmailDelivery, RenderJob, RenderStatus, utcnow
from app.renders.queueing import queue_render
from app.renders.tasks import render_job_task
from app.renders.workspace import keep_output, output_dir, sha256_file
from app.tasks.jobs import fetch_job
from tests.support import render_media


def reload(job_id) -> RenderJob:
    db.session.rollback()
    return db.session.get(RenderJob, job_id, populate_existing=True)


def test_an_attempt_that_fails_is_retried_then_fails_for_good_with_a_user_facing_error(
        client, auth_headers, render_job_factory, jobs, render_tmp):
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)  # its audio was never stored
    queue_render(job)
    jobs.run()
    job = reload(job.id)
    assert job.status == "queued"  # RQ will retry: back in the queue, error kept for the user
    assert job.error_code == "input_missing" and "Traceback" not in job.error_message
    rq_job = fetch_job(job.rq_job_id)
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
        queue_render(job)
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
    from app.renders.workspace import kept_output
    assert kept_output(job_id) is None
    assert not output_dir(job_id).exists()


def _emails(job_id) -> list[EmailDelivery]:
    db.session.rollback()
    return list(db.session.scalars(select(EmailDelivery).where(EmailDelivery.render_job_id == job_id)))


def test_a_stored_video_whose_size_differs_from_the_render_is_never_completed(
        client, auth_headers, render_job_factory, jobs, render_tmp, tmp_path):
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    video = _small_mp4(tmp_path)
    # storage will hold the file's bytes; the render said it made one byte more
    keep_output(job.id, video, {"sha256": sha256_file(video), "size": video.stat().st_size + 1,
                                "duration": 1.0})
    queue_render(job)
    jobs.run()
    job = reload(job.id)
    assert job.status == "queued" and job.error_code == "storage_unavailable"
    assert job.completed_at is None and job.output_key is None
    while jobs.release_scheduled():  # every retry meets the same mismatch
        jobs.run()
    job = reload(job.id)
    assert job.status == "failed" and job.error_code == "storage_unavailable"
    assert job.output_key is None and job.video_expires_at is None
    assert [e.kind for e in _emails(job.id)] == ["render_failed"]  # never "video ready"
    download = client.get(f"/api/v1/renders/{job.id}/download", headers=auth_headers(job.user))
    assert download.status_code == 409


def test_a_cancel_while_the_video_uploads_leaves_no_video(
        app, gcs_app, gcs, client, auth_headers, render_job_factory, jobs, render_tmp, tmp_path):
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    video = _small_mp4(tmp_path)
    keep_output(job.id, video, {"sha256": sha256_file(video), "size": video.stat().st_size,
                                "duration": 1.0})  # rendered already: the attempt goes to the upload
    queue_render(job)
    rq_job_id = job.rq_job_id
    headers = auth_headers(job.user)
    upload = gcs.proxy.hold_next(method="POST", path_contains="/upload/")
    answers, errors = [], []

    def cancel_while_uploading():
        try:
            upload.wait_reached(timeout=60)
            with app.app_context():
                answers.append(app.test_client().post(f"/api/v1/renders/{job.id}/cancel",
                                                      headers=headers))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            upload.release()

    owner = threading.Thread(target=cancel_while_uploading)
    owner.start()
    jobs.run()
    owner.join(timeout=30)
    assert errors == [] and answers[0].status_code == 200, answers[0].json if answers else errors
    assert answers[0].json["status"] == "canceled"

    assert fetch_job(rq_job_id).return_value() == "canceled"
    job = reload(job.id)
    assert job.status == "canceled" and job.output_key is None and job.completed_at is None
    assert len(gcs.proxy.requests_matching("POST", "/upload/", injected=False)) == 1  # it was stored
    assert list(get_storage().list(f"renders/{job.user_id}/{job.id}")) == []  # and deleted again
    assert not output_dir(job.id).exists()
    assert _emails(job.id) == []


def test_a_completed_row_claimed_again_finishes_delivery_once_without_rendering(
        app_ctx, render_job_factory, jobs, render_tmp, tmp_path):
    """The worker died after marking the job completed but before telling delivery; RQ then runs
    the same attempt again."""
    done_at = utcnow() - timedelta(minutes=5)
    job = render_job_factory(status=RenderStatus.COMPLETED, attempts=1, started_at=done_at,
                             completed_at=done_at)  # its audio is gone: a new render would fail
    video = _small_mp4(tmp_path)
    key = f"renders/{job.user_id}/{job.id}.mp4"
    stored = get_storage().put_file(key, video, content_type="video/mp4")
    job.rq_job_id, job.output_key, job.output_size = f"render-{job.id}-1", key, stored.size
    job.output_checksum = sha256_file(video)
    db.session.commit()

    for _redelivery in range(2):
        render_job_task.enqueue(str(job.id), 1, job_id=job.rq_job_id, queue="high")
        jobs.run()
        assert fetch_job(job.rq_job_id).get_status() == "finished"
    job = reload(job.id)
    assert job.status == "completed" and job.attempts == 1
    assert job.video_expires_at == done_at + timedelta(days=7)  # the retention clock started
    assert (job.output_key, job.output_size) == (key, stored.size)  # the stored video, untouched
    assert get_storage().stat(key).md5_hex == stored.md5_hex
    (email,) = _emails(job.id)
    assert email.kind == "video_ready" and email.status == "sent"
