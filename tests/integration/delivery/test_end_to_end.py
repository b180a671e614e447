"""Upload -> real worker renders and stores -> one "video ready" email whose link serves the video.

A real worker process (``worker.py --burst``) on 2-second clips at the smallest size. Retries
that RQ schedules for later are released at once between burst runs (what the worker's
scheduler does when they fall due), so no test sleeps through a backoff.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from app.adapters import get_storage
from app.extensions import db
from app.models import EmailDelivery, RenderJob, RenderStatus
from tests.integration.renders.conftest import upload
from tests.support import render_media
from tests.support.gcs_emulator import endpoint_path
from tests.support.job_runner import JobRunner
from tests.support.worker_process import worker_env

ROOT = Path(__file__).resolve().parents[3]
RENDER_CONFIG = {"template": "bars", "size": "720x720", "fps": 24, "title": "Night Drive"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return render_media.tone(tmp_path_factory.mktemp("clip") / "tone.mp3", 2.0,
                             extra=("-b:a", "64k"))


@pytest.fixture
def render_tmp(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_TMP_DIR", str(tmp_path / "render-tmp"))
    return tmp_path / "render-tmp"


def sendgrid_env(fake_sendgrid) -> dict[str, str]:
    """The fake SendGrid's settings for a worker process."""
    return dict(fake_sendgrid.env)


class BurstWorker:
    """Runs ``worker.py --burst`` with the test's app settings; keeps every log line."""

    def __init__(self, app, test_services, render_tmp: Path, extra_env: dict[str, str]):
        self.env = worker_env(app, SECRET_KEY=app.config["SECRET_KEY"], RENDER_TMP_DIR=str(render_tmp),
                              FRONTEND_URL="http://localhost", **extra_env)
        self.app = app
        self.events: list[dict] = []

    def run(self) -> None:
        result = subprocess.run([sys.executable, "worker.py", "--burst"], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=300)
        for line in (result.stdout + result.stderr).splitlines():
            if line.startswith("{"):
                try:
                    self.events.append(json.loads(line))
                except ValueError:
                    continue
        assert result.returncode == 0, result.stderr[-3000:]

    def release_scheduled(self) -> int:
        return JobRunner(self.app).release_scheduled()

    def count(self, event: str) -> int:
        return sum(1 for e in self.events if e.get("event") == event)


def _job(job_id) -> RenderJob:
    db.session.expire_all()
    return db.session.get(RenderJob, uuid.UUID(job_id))


def _emails(job_id) -> list[EmailDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(EmailDelivery).where(
        EmailDelivery.render_job_id == uuid.UUID(job_id))))


def test_completed_render_sends_one_email_with_a_working_link(
        app, client, user_factory, auth_headers, local_storage, fake_sendgrid, clip, render_tmp,
        test_services):
    user = user_factory()
    created = upload(client, auth_headers(user), clip, filename="night drive.mp3",
                     config=RENDER_CONFIG)
    assert created.status_code == 201, created.get_json()
    job_id = created.get_json()["id"]
    fake_sendgrid.fail_next(500)  # the first send fails, the retry is accepted

    worker = BurstWorker(app, test_services, render_tmp, sendgrid_env(fake_sendgrid))
    worker.run()
    job = _job(job_id)
    assert job.status == RenderStatus.COMPLETED
    assert job.video_expires_at is not None
    assert fake_sendgrid.delivered == [] and len(fake_sendgrid.requests) == 1
    assert worker.release_scheduled() == 1  # the email's retry, not a render
    worker.run()

    assert len(fake_sendgrid.delivered) == 1
    mail = fake_sendgrid.delivered[0]
    assert mail.to == [user.email]
    assert mail.subject == "Your video is ready: Night Drive"
    assert "0:02" in mail.text and "Night Drive" in mail.html
    link = next(word for word in mail.text.split() if "/api/v1/files/" in word)
    assert link in mail.html
    (delivery,) = _emails(job_id)
    assert delivery.kind == "video_ready" and delivery.status == "sent"

    video = client.get(endpoint_path(link))
    assert video.status_code == 200
    stored = get_storage().path_for(job.output_key).read_bytes()
    assert video.data == stored and len(stored) == job.output_size
    assert video.headers["Content-Disposition"] == 'attachment; filename="Night Drive.mp4"'
    all_output = "\n".join(json.dumps(e) for e in worker.events)
    assert link.rsplit("/", 1)[1] not in all_output  # the link is never logged

    worker.run()  # nothing left to do: still exactly one email
    assert len(fake_sendgrid.delivered) == 1 and len(_emails(job_id)) == 1


def test_storage_failing_twice_then_succeeding_completes_without_rerendering(
        app, client, user_factory, auth_headers, gcs_app, gcs, signing_key, fake_sendgrid, clip,
        render_tmp, test_services):
    user = user_factory()
    created = upload(client, auth_headers(user), clip, config=RENDER_CONFIG)
    assert created.status_code == 201, created.get_json()
    job_id = created.get_json()["id"]
    # Two attempts of the task see every upload request fail (2 tries each inside the adapter).
    gcs.proxy.fail_next(4, status=503, method="POST", path_contains="/upload/storage/v1/b/")

    env = {**sendgrid_env(fake_sendgrid), "STORAGE_BACKEND": "gcs", "GCS_BUCKET": gcs.bucket,
           "GCS_PROJECT": "test", "STORAGE_EMULATOR_HOST": gcs.endpoint,
           "GOOGLE_APPLICATION_CREDENTIALS": str(signing_key[1]), "GCS_RETRY_ATTEMPTS": "2",
           "GCS_RETRY_BACKOFF_SECONDS": "0.05"}
    worker = BurstWorker(app, test_services, render_tmp, env)
    for _attempt in range(2):
        worker.run()
        assert _job(job_id).status == RenderStatus.QUEUED
        assert _job(job_id).error_code == "storage_unavailable"
        assert worker.release_scheduled() == 1
    worker.run()

    job = _job(job_id)
    assert job.status == RenderStatus.COMPLETED and job.error_code is None
    assert worker.count("render_output_kept") == 1  # rendered once
    assert worker.count("render_output_reused") == 2  # the retries only uploaded
    assert len(gcs.proxy.requests_matching("POST", "/upload/", injected=True)) == 4
    assert not any((render_tmp / "waveframe" / "outputs").glob("*/video.mp4"))

    (mail,) = fake_sendgrid.wait_for_delivered(1)
    link = next(word for word in mail.text.split() if word.startswith(gcs.endpoint))
    response = requests.get(link, timeout=10)
    assert response.status_code == 200
    stored = get_storage()
    target = render_tmp / "check.mp4"
    stored.download_to(job.output_key, target)
    assert response.content == target.read_bytes() and len(response.content) == job.output_size


def test_final_failure_sends_one_email_saying_the_user_was_not_charged(
        app, client, user_factory, auth_headers, local_storage, fake_sendgrid, clip, render_tmp,
        test_services):
    user = user_factory()
    created = upload(client, auth_headers(user), clip, config=RENDER_CONFIG)
    job_id = created.get_json()["id"]
    get_storage().delete(_job(job_id).audio_key)  # every attempt fails to read its input

    worker = BurstWorker(app, test_services, render_tmp, sendgrid_env(fake_sendgrid))
    worker.run()
    while worker.release_scheduled():
        worker.run()
    job = _job(job_id)
    assert job.status == RenderStatus.FAILED
    (mail,) = fake_sendgrid.wait_for_delivered(1)
    assert mail.subject == "Your video could not be rendered: Night Drive"
    assert "You were not charged for this render." in mail.text
    assert [e.kind for e in _emails(job_id)] == ["render_failed"]
