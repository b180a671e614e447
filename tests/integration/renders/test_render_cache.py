"""An identical request is served from what the user already has: not rendered or charged twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import rendering
from app.adapters import get_storage
from app.extensions import db
from app.models import Payment, RenderJob, RenderStatus
from app.tasks.queues import all_queues
from tests.integration.renders.conftest import upload
from tests.support import render_media

CONFIG = {"template": "bars", "size": "720x720", "fps": 24, "title": "Same"}


@pytest.fixture
def owner(user_factory):
    return user_factory()


def count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def queued() -> int:
    return sum(q.count for q in all_queues())


def test_a_repeated_request_gets_the_finished_video_without_a_render(client, owner, auth_headers, media,
                                                                    render_tmp, jobs):
    headers = auth_headers(owner)
    first = upload(client, headers, media["mp3"], config=CONFIG)
    assert first.status_code == 201
    jobs.run()  # the real render task renders and stores the video
    job = db.session.get(RenderJob, uuid.UUID(first.json["id"]))
    db.session.refresh(job)
    assert job.status == RenderStatus.COMPLETED
    objects = sorted(o.key for o in get_storage().list(f"uploads/{owner.id}/"))

    again = upload(client, headers, media["mp3"], filename="renamed.mp3", config=CONFIG)
    assert again.status_code == 200, again.json
    assert again.json["id"] == first.json["id"] and again.json["status"] == "completed"
    assert count(RenderJob, user_id=owner.id) == 1
    assert queued() == 0  # no render job
    assert sorted(o.key for o in get_storage().list(f"uploads/{owner.id}/")) == objects  # nothing stored
    assert client.get(f"/api/v1/renders/{job.id}/download", headers=headers).status_code == 200
    assert list((render_tmp / "uploads").iterdir()) == []


def test_an_unpaid_identical_request_is_paid_for_once(paying_client, owner, auth_headers, media, render_tmp):
    headers = auth_headers(owner)
    first = upload(paying_client, headers, media["mp3"], config=CONFIG)
    assert first.status_code == 201 and first.json["status"] == "awaiting_payment"
    checkout = paying_client.post(f"/api/v1/renders/{first.json['id']}/checkout", headers=headers)
    assert checkout.status_code == 200
    again = upload(paying_client, headers, media["mp3"], config=CONFIG)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert count(RenderJob, user_id=owner.id) == 1
    # the same Checkout session is offered again: one payment for both requests
    assert paying_client.post(f"/api/v1/renders/{again.json['id']}/checkout",
                              headers=headers).json["checkout_url"] == checkout.json["checkout_url"]
    assert count(Payment) == 1


@pytest.mark.parametrize("change", ["config", "audio", "image", "engine", "user"])
def test_anything_different_is_a_new_render(client, owner, user_factory, auth_headers, media, render_tmp,
                                            monkeypatch, tmp_path, change):
    images = {"background": render_media.image_bytes("PNG", (64, 48))}
    first = upload(client, auth_headers(owner), media["mp3"], config=CONFIG, **images)
    assert first.status_code == 201
    headers, audio, config = auth_headers(owner), media["mp3"], CONFIG
    if change == "config":
        config = {**CONFIG, "title": "Other"}
    elif change == "audio":
        audio = render_media.tone(tmp_path / "other.mp3", 2.0)
    elif change == "image":
        images = {"background": render_media.image_bytes("PNG", (64, 50))}
    elif change == "engine":
        monkeypatch.setattr(rendering, "ENGINE_VERSION", "next")
        monkeypatch.setattr("app.renders.render_cache.ENGINE_VERSION", "next")
    else:
        headers = auth_headers(user_factory())  # nothing is shared across users
    second = upload(client, headers, audio, config=config, **images)
    assert second.status_code == 201, second.json
    assert second.json["id"] != first.json["id"]


@pytest.mark.parametrize("state", ["expired", "failed", "canceled", "video_past_expiry"])
def test_a_job_that_cannot_deliver_its_video_is_not_reused(client, owner, auth_headers, media, render_tmp,
                                                           state):
    headers = auth_headers(owner)
    first = upload(client, headers, media["mp3"], config=CONFIG)
    job = db.session.get(RenderJob, uuid.UUID(first.json["id"]))
    now = datetime.now(UTC)
    if state == "video_past_expiry":
        job.status, job.output_key = RenderStatus.COMPLETED, f"outputs/{owner.id}/{job.id}/video.mp4"
        job.video_expires_at = now - timedelta(minutes=1)
    else:
        job.status = state
    db.session.commit()
    second = upload(client, headers, media["mp3"], config=CONFIG)
    assert second.status_code == 201 and second.json["id"] != first.json["id"]
