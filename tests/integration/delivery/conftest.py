"""Fixtures of the delivery tests: GCS through the emulator, the fake SendGrid, finished jobs."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from app import adapters
from app.adapters import get_storage
from app.models import RenderStatus, utcnow
from tests.support import factories
from tests.support.fake_sendgrid import fake_sendgrid, fake_sendgrid_server  # noqa: F401
from tests.support.gcs_emulator import shared_gcs_emulator
from tests.support.gcs_signing import ServiceAccountKey
from tests.support.job_runner import JobRunner

SMALL_CHUNK = 256 * 1024  # so a test file of a few hundred KiB goes up in resumable chunks


@pytest.fixture(scope="session")
def gcs_emulator():
    return shared_gcs_emulator()


@pytest.fixture
def gcs(gcs_emulator):
    """The emulator, emptied and with no fault pending, before and after the test."""
    gcs_emulator.proxy.reset()
    gcs_emulator.wipe_objects()
    yield gcs_emulator
    gcs_emulator.proxy.reset()
    gcs_emulator.wipe_objects()


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory):
    key = ServiceAccountKey.generate()
    path = key.write(tmp_path_factory.mktemp("gcs-key") / "service-account.json")
    return key, path


# Long enough that a busy machine never turns a slow answer into a retry (which would repeat a
# request a test counts); the timeout test sets a short one of its own.
GCS_TIMEOUT_SECONDS = 15.0


def gcs_settings(gcs, key_path: Path, **overrides) -> dict:
    settings = dict(GOOGLE_APPLICATION_CREDENTIALS=str(key_path), GCS_CHUNK_SIZE=SMALL_CHUNK,
                    GCS_TIMEOUT_SECONDS=GCS_TIMEOUT_SECONDS, GCS_RETRY_ATTEMPTS=3,
                    GCS_RETRY_BACKOFF_SECONDS=0.05)
    return gcs.app_config(**{**settings, **overrides})


@pytest.fixture
def gcs_app(app, app_ctx, gcs, signing_key):
    """The session app storing in the emulator (GCS adapter) for this test, then back to local."""
    settings = gcs_settings(gcs, signing_key[1])
    saved = {name: app.config.get(name) for name in settings}
    app.config.update(settings)
    adapters.init_app(app)  # the storage is chosen from the configuration
    yield app
    app.config.update(saved)
    adapters.init_app(app)


@pytest.fixture
def local_storage(app, app_ctx):
    """The session app's local storage, emptied after the test."""
    storage = get_storage()
    yield storage
    for info in list(storage.list("")):
        storage.delete(info.key)


@pytest.fixture
def video_bytes() -> bytes:
    return os.urandom(300 * 1024)


@pytest.fixture
def finished_job(app_ctx, tmp_path, video_bytes):
    """``finished_job(user=None, **fields)``: a completed job whose video is in storage."""

    def make(user=None, *, content: bytes | None = None, **fields):
        user = user or factories.make_user()
        job_id = fields.pop("id", None) or uuid.uuid4()
        key = f"renders/{user.id}/{job_id}.mp4"
        source = tmp_path / f"{job_id}.mp4"
        source.write_bytes(video_bytes if content is None else content)
        info = get_storage().put_file(key, source, content_type="video/mp4",
                                      download_name="Night Drive.mp4")
        audio_key = f"uploads/{user.id}/{job_id}/audio.mp3"
        source.write_bytes(b"ID3 not really audio")
        get_storage().put_file(audio_key, source, content_type="audio/mpeg")
        completed_at = fields.pop("completed_at", utcnow())
        fields.setdefault("video_expires_at", completed_at + timedelta(days=7))
        fields.setdefault("config", {**factories.DEFAULT_RENDER_CONFIG, "title": "Night Drive"})
        return factories.make_render_job(
            user, id=job_id, status=RenderStatus.COMPLETED, output_key=key,
            output_size=info.size, output_duration=2.0, output_checksum=info.md5_hex,
            audio_key=audio_key, started_at=completed_at, completed_at=completed_at, **fields)

    return make


@pytest.fixture
def jobs(app, app_ctx):
    return JobRunner(app)
