"""Fixtures of the render-job tests: generated clips, an isolated temp root, leftovers checks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.adapters import get_storage
from app.extensions import db, get_redis
from app.models import RenderJob
from app.tasks.queues import all_queues
from tests.integration.delivery.conftest import (  # noqa: F401  (GCS fixtures, shared)
    gcs,
    gcs_app,
    gcs_emulator,
    gcs_settings,
    signing_key,
)
from tests.support import render_media
from tests.support.fake_stripe import FakeStripe
from tests.support.job_runner import JobRunner

STRIPE_TEST_KEY = "sk_test_" + "r" * 24


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    return {
        "mp3": render_media.tone(folder / "tone.mp3", 2.0, extra=("-b:a", "64k")),
        "wav": render_media.tone(folder / "tone.wav", 2.0),
        "m4a": render_media.tone(folder / "tone.m4a", 2.0, extra=("-c:a", "aac", "-b:a", "48k")),
        "ten_seconds": render_media.tone(folder / "ten.mp3", 10.0, extra=("-b:a", "64k")),
        "long_silence": render_media.silence(folder / "long.flac", 3700),
    }


@pytest.fixture
def render_tmp(app, tmp_path, monkeypatch):
    """Temp files of uploads and renders go under this test's own folder."""
    monkeypatch.setitem(app.config, "RENDER_TMP_DIR", str(tmp_path / "render-tmp"))
    return tmp_path / "render-tmp" / "waveframe"


def upload(client, headers, audio: bytes | Path, *, filename: str = "song.mp3",
           config: dict | str | None = None, **images: bytes):
    data = audio.read_bytes() if isinstance(audio, Path) else audio
    if config is None:
        config = {"template": "bars", "size": "720x720", "fps": 24}
    form = {"audio": (io.BytesIO(data), filename),
            "config": config if isinstance(config, str) else json.dumps(config)}
    for name, content in images.items():
        form[name] = (io.BytesIO(content), f"{name}.bin")
    return client.post("/api/v1/renders", data=form, headers=headers,
                       content_type="multipart/form-data")


def leftovers(user, render_tmp: Path | None = None) -> dict:
    """Everything a refused upload could have left behind."""
    redis = get_redis()
    found = {
        "rows": db.session.scalar(select(func.count()).select_from(RenderJob)
                                  .where(RenderJob.user_id == user.id)),
        "objects": [o.key for o in get_storage().list(f"uploads/{user.id}/")],
        "queued": sum(q.count for q in all_queues()),
        "rq_jobs": [k.decode() for k in redis.scan_iter("rq:job:*")],
    }
    if render_tmp is not None:
        uploads = render_tmp / "uploads"
        found["temp"] = sorted(str(p) for p in uploads.iterdir()) if uploads.exists() else []
    return found


NOTHING = {"rows": 0, "objects": [], "queued": 0, "rq_jobs": [], "temp": []}


@pytest.fixture
def jobs(app, app_ctx):
    return JobRunner(app)


@pytest.fixture(scope="session")
def make_paying_app(make_app, app):
    """Apps with payments on, as production runs them: a Stripe key, the SDK pointed at a local
    fake Stripe. New jobs wait in ``awaiting_payment`` (``app`` has migrated the database)."""
    fake = FakeStripe().start()

    def _make(**overrides):
        return make_app(STRIPE_SECRET_KEY=STRIPE_TEST_KEY, STRIPE_API_BASE=fake.url,
                        STRIPE_MAX_NETWORK_RETRIES=0, **overrides)

    yield _make
    fake.stop()


@pytest.fixture(scope="session")
def paying_app(make_paying_app):
    return make_paying_app()


@pytest.fixture
def paying_client(paying_app, app_ctx):
    """A client of ``paying_app``, with its app context pushed for the test."""
    with paying_app.app_context():
        yield paying_app.test_client()
        db.session.remove()
