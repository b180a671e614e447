"""The poll's answer kept in Redis (app/renders/status_cache.py): never older than the last
committed change, never shown to another user, never stored over a newer change."""

from __future__ import annotations

import uuid

import pytest

from app.extensions import db, get_redis, redis_client
from app.models import RenderJob, RenderStatus
from app.renders import status_cache
from app.renders.execution import record_progress
from tests.integration.accounts.conftest import STRONG_PASSWORD
from tests.integration.renders.conftest import upload
from tests.support.redis_packets import record_packets


@pytest.fixture
def polled(app, media, render_tmp):
    client = app.test_client()
    token = client.post("/api/v1/auth/register", json={
        "email": "cached@example.com", "password": STRONG_PASSWORD}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = upload(client, headers, media["wav"], filename="tone.wav")
    assert created.status_code == 201, created.get_json()
    job_id = created.get_json()["id"]

    def poll(with_headers=headers):
        return client.get(f"/api/v1/renders/{job_id}", headers=with_headers)
    assert poll().status_code == 200  # the answer is now kept
    return client, headers, uuid.UUID(job_id), poll


def stored(app, job_id) -> bytes | None:
    with app.app_context():
        return get_redis().get(redis_client.key("status", "doc", str(job_id)))


def test_the_answer_is_kept_with_its_owner_and_a_bounded_life(app, polled):
    _client, _headers, job_id, poll = polled
    kept = stored(app, job_id)
    assert kept is not None
    with app.app_context():
        job = db.session.get(RenderJob, job_id)
        owner = str(job.user_id).encode()
        ttl = get_redis().ttl(redis_client.key("status", "doc", str(job_id)))
    assert kept.partition(b"\n")[0] == owner
    assert 0 < ttl <= app.config["STATUS_CACHE_SECONDS"]
    assert poll().data == kept.partition(b"\n")[2]


def test_a_change_through_the_api_shows_at_the_next_poll(app, polled):
    client, headers, job_id, poll = polled
    assert poll().get_json()["status"] == "queued"
    assert client.post(f"/api/v1/renders/{job_id}/cancel", headers=headers).status_code == 200
    assert poll().get_json()["status"] == "canceled"


def test_a_change_committed_elsewhere_through_the_orm_shows_at_the_next_poll(app, polled):
    _client, _headers, job_id, poll = polled
    assert poll().get_json()["progress"] == 0
    with app.app_context():  # as a worker or the console would, in its own session
        job = db.session.get(RenderJob, job_id)
        job.status, job.rq_job_id = RenderStatus.RENDERING, "render-test-1"
        db.session.commit()
    assert poll().get_json()["status"] == "rendering"


def test_progress_written_without_the_orm_shows_at_the_next_poll(app, polled):
    _client, _headers, job_id, poll = polled
    with app.app_context():
        job = db.session.get(RenderJob, job_id)
        job.status, job.rq_job_id = RenderStatus.RENDERING, "render-test-1"
        db.session.commit()
    assert poll().get_json()["progress"] == 0
    with app.app_context():
        record_progress(job_id, "render-test-1", 42.0, 17.0)
    body = poll().get_json()
    assert (body["progress"], body["eta_seconds"]) == (42, 17)


def test_another_user_never_gets_the_kept_answer(app, polled):
    client, _headers, job_id, _poll = polled
    assert stored(app, job_id) is not None
    other = client.post("/api/v1/auth/register", json={
        "email": "nosy@example.com", "password": STRONG_PASSWORD}).get_json()["access_token"]
    response = client.get(f"/api/v1/renders/{job_id}", headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "render_not_found"


def test_a_logged_out_token_gets_no_kept_answer(app, polled):
    """The kept answer is read in the revocation check's own command: a revoked token is still
    refused while the copy is there (for the access token and the refresh token of its login)."""
    client, headers, job_id, poll = polled
    assert stored(app, job_id) is not None
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    refused = poll()
    assert refused.status_code == 401, refused.get_json()
    assert refused.get_json()["error"]["code"] == "token_revoked"
    assert str(job_id) not in refused.get_data(as_text=True)


def test_an_answer_read_before_a_change_is_not_stored_after_it(app, polled):
    _client, _headers, job_id, _poll = polled
    with app.app_context():
        owner = db.session.get(RenderJob, job_id).user_id
        status_cache.forget([job_id])
        body, generation = status_cache.lookup(owner, job_id)
        assert body is None and generation is not None
        status_cache.forget([job_id])  # the job changes while the poll reads the database
        status_cache.store(owner, job_id, generation, b'{"stale": true}')
        assert status_cache.lookup(owner, job_id)[0] is None
        status_cache.store(owner, job_id, status_cache.lookup(owner, job_id)[1], b'{"fresh": true}')
        assert status_cache.lookup(owner, job_id)[0] == b'{"fresh": true}'


def test_with_the_copy_off_nothing_is_kept(app, polled, monkeypatch):
    _client, _headers, job_id, poll = polled
    monkeypatch.setitem(app.config, "STATUS_CACHE_SECONDS", 0)
    with app.app_context():
        status_cache.forget([job_id])
    assert poll().status_code == 200
    assert stored(app, job_id) is None


def test_a_poll_of_an_unchanged_job_is_one_redis_round_trip(app, polled, monkeypatch):
    """The copy is read in the same round trip as the token's revocation check."""
    _client, _headers, _job_id, poll = polled
    # Asked of Redis, not of this process's memory (the mirror has test_poll_mirror.py).
    monkeypatch.setattr(app.extensions["mirror"], "enabled", False)
    sent = record_packets(monkeypatch)
    monkeypatch.setattr(app.extensions["metrics_store"], "flush_seconds", 30)  # batched, as served
    assert poll().status_code == 200
    sent.clear()
    body = poll()
    assert body.status_code == 200 and body.get_json()["status"] == "queued"
    assert len(sent) == 1, sent
