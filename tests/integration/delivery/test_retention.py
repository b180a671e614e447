"""Retention: expired videos and uploads deleted once, jobs marked expired, API answers 410."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from app.adapters import get_storage
from app.adapters.storage.base import StorageError
from app.delivery.retention import expire_due_renders
from app.delivery.tasks import expire_renders
from app.extensions import db
from app.models import RenderJob, RenderStatus, utcnow
from tests.integration.rendering.conftest import decode_frame
from tests.integration.renders.conftest import upload
from tests.support import factories, render_media
from tests.support.worker_process import WorkerProcess, worker_env

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


def test_retention_is_scheduled_with_the_worker(app, local_storage, finished_job, tmp_path):
    """A real worker process (``worker.py --burst``) enqueues the retention task from its own
    maintenance pass and runs it: nothing here enqueues anything."""
    due = finished_job(completed_at=utcnow() - PAST)
    kept = finished_job()
    worker = WorkerProcess(worker_env(app), tmp_path / "worker.log", burst=True).start()
    assert worker.wait(timeout=120) == 0, worker.output()[-4000:]
    assert _status(due.id) == RenderStatus.EXPIRED
    assert list(local_storage.list(f"renders/{due.user_id}/{due.id}")) == []
    assert list(local_storage.list(f"uploads/{due.user_id}/{due.id}/")) == []
    assert _status(kept.id) == RenderStatus.COMPLETED and local_storage.exists(kept.output_key)


# Solid colours, one per image part, told apart in the video by their dominant channel.
IMAGE_COLOURS = {"background": (30, 190, 60), "cover": (40, 70, 230), "logo": (235, 40, 40)}
DOMINANT = {"background": 1, "cover": 2, "logo": 0}  # green, blue, red
# Where each image shows in a 720x720 radial frame without title: the top-left corner (outside
# the spectrum ring), the centre disc, the top-right logo box (scene.js / radial.js layout).
PATCHES = {"background": (slice(70, 100), slice(70, 100)),
           "cover": (slice(333, 373), slice(340, 380)),
           "logo": (slice(55, 85), slice(636, 666))}
RADIAL_WITH_IMAGES = {"template": "radial", "size": "720x720", "fps": 24,
                      "options": {"background_dim": 0, "background_blur": 0}}


@pytest.fixture(params=["local", "gcs"])
def storage_backend(request) -> str:
    request.getfixturevalue("local_storage" if request.param == "local" else "gcs_app")
    return request.param


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return render_media.tone(tmp_path_factory.mktemp("clip") / "tone.mp3", 2.0,
                             extra=("-b:a", "64k"))


def _stored_under(user_id, job_id) -> list[str]:
    """Every object under the job's prefixes, found by listing (no file is named)."""
    storage = get_storage()
    return sorted(o.key for prefix in (f"uploads/{user_id}/{job_id}", f"renders/{user_id}/{job_id}")
                  for o in storage.list(prefix))


def test_every_uploaded_image_is_drawn_and_expiry_then_leaves_nothing_of_the_job(
        app, storage_backend, client, user_factory, auth_headers, jobs, clip, tmp_path,
        monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_TMP_DIR", str(tmp_path / "render-tmp"))
    user = user_factory()
    headers = auth_headers(user)
    images = {name: render_media.image_bytes("PNG", (96, 96), colour)
              for name, colour in IMAGE_COLOURS.items()}
    created = upload(client, headers, clip, config=RADIAL_WITH_IMAGES, **images)
    assert created.status_code == 201, created.json
    options = created.json["config"]["options"]
    assert (options["background_image"], options["cover_image"], options["logo_image"]) == (
        "background", "cover", "logo")
    job_id = uuid.UUID(created.json["id"])

    jobs.run()  # the real render task, in this process
    job = db.session.get(RenderJob, job_id, populate_existing=True)
    assert job.status == RenderStatus.COMPLETED, job.error_message
    assert len(_stored_under(user.id, job_id)) == 5  # audio, three images, the video

    video = tmp_path / "video.mp4"
    get_storage().download_to(job.output_key, video)
    frame = np.frombuffer(decode_frame(video, 12, 720, 720), np.uint8).reshape(720, 720, 3)
    for name, (rows, cols) in PATCHES.items():
        mean = frame[rows, cols].reshape(-1, 3).mean(axis=0)
        others = [mean[c] for c in range(3) if c != DOMINANT[name]]
        assert mean[DOMINANT[name]] > max(others) + 60, (name, mean.round())

    report = expire_due_renders(now=job.video_expires_at + timedelta(seconds=1))
    assert (report.jobs_expired, report.objects_deleted, report.failures) == (1, 5, [])
    assert _stored_under(user.id, job_id) == []
    if storage_backend == "local":  # not even an empty folder of the job is left
        root = Path(app.config["STORAGE_LOCAL_ROOT"])
        assert not (root / "uploads" / str(user.id) / str(job_id)).exists()
    assert _status(job_id) == RenderStatus.EXPIRED
    gone = client.get(f"/api/v1/renders/{job_id}/download", headers=headers)
    assert gone.status_code == 410 and gone.json["error"]["code"] == "video_expired"


def test_expiry_deletes_every_format_of_an_order(app, storage_backend, client, user_factory, auth_headers,
                                                 jobs, clip, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_TMP_DIR", str(tmp_path / "render-tmp"))
    user = user_factory()
    headers = auth_headers(user)
    formats = ["720x720", "720x1280"]
    created = upload(client, headers, clip, config={"template": "wave", "formats": formats, "fps": 24})
    assert created.status_code == 201, created.json
    job_id = uuid.UUID(created.json["id"])
    jobs.run()
    job = db.session.get(RenderJob, job_id, populate_existing=True)
    assert job.status == RenderStatus.COMPLETED, job.error_message
    assert len(_stored_under(user.id, job_id)) == 3  # audio, two videos
    assert [o.size for o in job.outputs] == formats

    report = expire_due_renders(now=job.video_expires_at + timedelta(seconds=1))
    assert (report.jobs_expired, report.objects_deleted, report.failures) == (1, 3, [])
    assert _stored_under(user.id, job_id) == []
    for size in formats:
        gone = client.get(f"/api/v1/renders/{job_id}/download?size={size}", headers=headers)
        assert gone.status_code == 410 and gone.json["error"]["code"] == "video_expired"
