"""Uploads while Redis is away: the app runs on a Redis server of this test's own, stopped and
started again at will (the shared Redis is never touched)."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from app.adapters import get_storage
from app.extensions import db
from app.models import RenderJob
from app.renders import recovery as render_recovery
from app.tasks.jobs import fetch_job
from tests.integration.renders.conftest import gcs_settings, upload
from tests.support.private_redis import PrivateRedis


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def outage_app(make_app, app, gcs, signing_key, private_redis):
    """The API on the private Redis, storing in the GCS emulator (whose proxy can hold a request
    in flight, so the test can stop Redis in the middle of an upload)."""
    return make_app(REDIS_URL=private_redis.url, RENDER_RECONCILE_GRACE_SECONDS=0,
                    **gcs_settings(gcs, signing_key[1]))


def _rows(user) -> int:
    return db.session.scalar(select(func.count()).select_from(RenderJob)
                             .where(RenderJob.user_id == user.id))


def test_an_upload_while_redis_is_down_is_refused_and_stores_nothing(
        outage_app, private_redis, user_factory, auth_headers, media):
    with outage_app.app_context():
        user = user_factory()
        response = upload(outage_app.test_client(), auth_headers(user), media["mp3"])
        assert response.status_code == 503, response.json
        assert response.json["error"]["code"] == "service_unavailable"  # auth fails closed
        assert _rows(user) == 0 and list(get_storage().list(f"uploads/{user.id}/")) == []


def test_redis_lost_during_an_upload_the_job_is_kept_and_the_reconciler_queues_it(
        outage_app, private_redis, gcs, user_factory, auth_headers, media):
    private_redis.start()
    with outage_app.app_context():
        client = outage_app.test_client()
        user = user_factory()
        headers = auth_headers(user)
        audio_upload = gcs.proxy.hold_next(method="POST", path_contains="/upload/")
        answers = []
        poster = threading.Thread(target=lambda: answers.append(upload(client, headers, media["mp3"])))
        poster.start()
        try:
            audio_upload.wait_reached(timeout=60)  # signed in and validated; now storing the audio
            private_redis.stop()  # Redis crashes (nothing saved)
        finally:
            audio_upload.release()
            poster.join(timeout=60)

        (created,) = answers
        assert created.status_code == 201, created.json  # the user's upload is not lost
        assert created.json["status"] == "queued" and created.json["attempts"] == 1
        job_id = created.json["id"]
        assert db.session.get(RenderJob, uuid.UUID(job_id)).audio_key in {
            o.key for o in get_storage().list(f"uploads/{user.id}/{job_id}/")}

        private_redis.start()  # back, and empty: the queue entry was never written
        assert fetch_job(f"render-{job_id}-1") is None
        seen = client.get(f"/api/v1/renders/{job_id}", headers=headers)
        assert seen.status_code == 200 and seen.json["status"] == "queued"

        assert render_recovery.reconcile_render_jobs()["requeued"] == 1
        rq_job = fetch_job(f"render-{job_id}-2")
        assert rq_job is not None and rq_job.get_status() == "queued" and rq_job.origin == "high"
        seen = client.get(f"/api/v1/renders/{job_id}", headers=headers)
        assert seen.json["status"] == "queued" and seen.json["attempts"] == 2
        db.session.remove()
