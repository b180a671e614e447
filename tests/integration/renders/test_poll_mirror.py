"""What a web process remembers of Redis (app/web/mirror.py): revoked tokens and changed jobs
apply at once in the process that made the change and when the message arrives elsewhere;
nothing is trusted without a live listener; a read overtaken by a change is not kept.

"Another process" is a second app on the same database and Redis, with its own mirror and
listener: the message path between them is the production one.
"""

from __future__ import annotations

import time
import uuid

import pytest
import redis.client

from app.extensions import db
from app.models import RenderJob, RenderStatus
from app.web import mirror as mirror_module
from app.web.mirror import MISSING
from tests.integration.accounts.conftest import STRONG_PASSWORD
from tests.integration.renders.conftest import upload
from tests.support.private_redis import PrivateRedis
from tests.support.redis_packets import record_packets
from tests.support.worker_process import wait_for


@pytest.fixture
def mirrored(make_app, app, app_ctx):
    """Apps with the mirror on (as in production); their listeners stop after the test."""
    made = []

    def make(**overrides):
        application = make_app(LOCAL_MIRROR=True, **overrides)
        made.append(application)
        return application
    yield make
    for application in made:
        application.extensions["mirror"].stop()


def _live(application) -> bool:
    memory = application.extensions["mirror"]
    memory.get("nothing")  # starts the listener in this process
    return memory.live()


def _register(client, email="mirror@example.com"):
    body = client.post("/api/v1/auth/register",
                       json={"email": email, "password": STRONG_PASSWORD}).get_json()
    return body, {"Authorization": f"Bearer {body['access_token']}"}


@pytest.fixture
def two_processes(mirrored, media, render_tmp):
    """Process A and process B, both live; a job of one user, polled (remembered) through B."""
    first, second = mirrored(), mirrored()
    wait_for(lambda: _live(first) and _live(second), timeout=5, interval=0.01,
             message="both listeners subscribed")
    a, b = first.test_client(), second.test_client()
    tokens, headers = _register(a)
    created = upload(a, headers, media["wav"], filename="tone.wav")
    assert created.status_code == 201, created.get_json()
    job_id = created.get_json()["id"]
    assert b.get(f"/api/v1/renders/{job_id}", headers=headers).status_code == 200
    return first, second, a, b, tokens, headers, job_id


def test_a_remembered_poll_asks_redis_nothing(two_processes, monkeypatch):
    _first, second, _a, b, _tokens, headers, job_id = two_processes
    monkeypatch.setattr(second.extensions["metrics_store"], "flush_seconds", 30)  # batched, as served
    sent = record_packets(monkeypatch)
    polled = b.get(f"/api/v1/renders/{job_id}", headers=headers)
    assert polled.status_code == 200 and polled.get_json()["id"] == job_id
    assert sent == []


def test_a_logout_applies_at_once_here_and_when_heard_elsewhere(two_processes):
    _first, second, a, b, tokens, headers, job_id = two_processes
    assert a.get(f"/api/v1/renders/{job_id}", headers=headers).status_code == 200  # A remembers too
    jti_key = "token:" + _claims(tokens["access_token"])["jti"]
    assert second.extensions["mirror"].get(jti_key) is False

    started = time.monotonic()
    assert a.post("/api/v1/auth/logout", headers=headers).status_code == 204
    refused = a.get(f"/api/v1/renders/{job_id}", headers=headers)  # the same process: at once
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "token_revoked"

    wait_for(lambda: second.extensions["mirror"].get(jti_key) is MISSING, timeout=2,
             interval=0.001, message="B heard the revocation")
    heard_after = time.monotonic() - started
    refused = b.get(f"/api/v1/renders/{job_id}", headers=headers)
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "token_revoked"
    assert heard_after < 1.0, heard_after


def test_a_revocation_and_its_message_are_one_transaction(two_processes, monkeypatch):
    """The blocklist entries and the message go to Redis in one MULTI/EXEC: a logout can never
    land without every process hearing of it (nor be heard of without landing)."""
    _first, _second, a, _b, _tokens, headers, _job_id = two_processes
    sent = record_packets(monkeypatch)
    assert a.post("/api/v1/auth/logout", headers=headers).status_code == 204
    with_message = [packet for packet in sent if b"PUBLISH" in _flat(packet)]
    assert len(with_message) == 1, sent
    packet = _flat(with_message[0])
    assert packet.index(b"MULTI") < packet.index(b"SET") < packet.index(b"PUBLISH") < packet.index(b"EXEC")


def _flat(packet) -> bytes:
    return b"".join(packet) if isinstance(packet, list | tuple) else bytes(packet)


def test_a_job_changed_elsewhere_shows_once_heard(two_processes):
    first, second, _a, b, _tokens, headers, job_id = two_processes
    assert second.extensions["mirror"].get(f"job:{job_id}") is not MISSING
    with first.app_context():
        job = db.session.get(RenderJob, uuid.UUID(job_id))
        job.status = RenderStatus.CANCELED
        db.session.commit()  # forgets the kept answer: Redis, this process, and a message
        db.session.remove()
    wait_for(lambda: second.extensions["mirror"].get(f"job:{job_id}") is MISSING, timeout=2,
             interval=0.001, message="B heard the change")
    assert b.get(f"/api/v1/renders/{job_id}", headers=headers).get_json()["status"] == "canceled"


def test_another_user_never_gets_a_remembered_answer(two_processes):
    _first, second, _a, b, _tokens, _headers, job_id = two_processes
    assert second.extensions["mirror"].get(f"job:{job_id}") is not MISSING
    _other, stranger = _register(b, "stranger@example.com")
    answer = b.get(f"/api/v1/renders/{job_id}", headers=stranger)
    assert answer.status_code == 404 and job_id not in answer.get_data(as_text=True)


def test_nothing_is_trusted_while_redis_is_away(mirrored, tmp_path, media, render_tmp):
    server = PrivateRedis(tmp_path / "redis", persistent=True).start()
    try:
        application = mirrored(REDIS_URL=server.url)
        wait_for(lambda: _live(application), timeout=5, interval=0.01, message="subscribed")
        client = application.test_client()
        _tokens, headers = _register(client)
        assert client.get("/api/v1/account", headers=headers).status_code == 200  # remembered

        server.stop()
        wait_for(lambda: not application.extensions["mirror"].live(), timeout=2, interval=0.01,
                 message="the listener noticed")
        unavailable = client.get("/api/v1/account", headers=headers)
        assert unavailable.status_code == 503, unavailable.get_json()

        server.start()
        wait_for(lambda: _live(application), timeout=10, interval=0.05, message="subscribed again")
        assert client.get("/api/v1/account", headers=headers).status_code == 200
    finally:
        server.stop()


def test_a_listener_that_hears_nothing_stops_being_trusted(mirrored, monkeypatch):
    application = mirrored()
    wait_for(lambda: _live(application), timeout=5, interval=0.01, message="subscribed")
    memory = application.extensions["mirror"]
    monkeypatch.setattr(mirror_module, "TRUST_SECONDS", 0.0)  # as if no pong came back in time
    assert not memory.live() and memory.get("token:x") is MISSING


def test_the_listener_survives_any_error_and_subscribes_again(mirrored, monkeypatch):
    """Found by `make chaos` (Redis restarted under a live listener): redis-py raised a
    TypeError from a socket Redis had closed, which killed the thread for good."""
    application = mirrored()
    memory = application.extensions["mirror"]
    wait_for(lambda: _live(application), timeout=5, interval=0.01, message="subscribed")
    original, raised = redis.client.PubSub.get_message, []

    def failing_once(self, *args, **kwargs):
        if not raised:
            raised.append(True)
            raise TypeError("argument must be an int, or have a fileno() method.")
        return original(self, *args, **kwargs)
    monkeypatch.setattr(redis.client.PubSub, "get_message", failing_once)
    wait_for(lambda: raised and not memory.live(), timeout=2, interval=0.005,
             message="the failure dropped the trust")
    wait_for(lambda: memory.live(), timeout=5, interval=0.01, message="subscribed again")
    assert memory._thread.is_alive()
    assert memory.put("job:1", b"kept", memory.ticket(), 10) and memory.get("job:1") == b"kept"


def test_a_read_overtaken_by_a_change_is_not_kept(mirrored):
    application = mirrored()
    wait_for(lambda: _live(application), timeout=5, interval=0.01, message="subscribed")
    memory = application.extensions["mirror"]
    ticket = memory.ticket()
    memory.changed(["job:1"])  # a change while the reader was reading
    assert memory.put("job:1", b"old", ticket, 10) is False
    assert memory.get("job:1") is MISSING
    assert memory.put("job:1", b"new", memory.ticket(), 10) is True
    assert memory.get("job:1") == b"new"


def test_an_answer_the_token_check_read_before_a_change_is_not_remembered(mirrored):
    """The poll's kept answer is read with the token check; a change heard between that read
    and the view must void it, so the ticket is the one taken before the token check's read."""
    from app.renders import status_cache
    from app.web.auth import store_prefetched
    application = mirrored()
    wait_for(lambda: _live(application), timeout=5, interval=0.01, message="subscribed")
    memory = application.extensions["mirror"]
    owner, job_id = uuid.uuid4(), uuid.uuid4()
    gen_key, doc_key = status_cache._keys(job_id)
    with application.test_request_context("/"):
        ticket = memory.ticket()  # the token check reads the kept answer...
        store_prefetched([doc_key, gen_key], [str(owner).encode() + b"\n{}", b"1"], ticket)
        status_cache.forget([job_id])  # ...the job changes and this process hears of it...
        body, _generation = status_cache.lookup(owner, job_id)  # ...then the view runs
    assert body == b"{}"  # this answer was read before the change: it may be given once
    assert memory.get(f"job:{job_id}") is MISSING  # but not remembered


def test_entries_live_their_seconds_and_are_bounded(mirrored, monkeypatch):
    application = mirrored()
    wait_for(lambda: _live(application), timeout=5, interval=0.01, message="subscribed")
    memory = application.extensions["mirror"]
    assert memory.put("short", 1, memory.ticket(), 0.001)
    wait_for(lambda: memory.get("short") is MISSING, timeout=1, interval=0.001, message="expired")
    monkeypatch.setattr(mirror_module, "MAX_ENTRIES", 3)
    for number in range(5):
        assert memory.put(f"k{number}", number, memory.ticket(), 10)
    assert [memory.get(f"k{n}") for n in range(5)] == [MISSING, MISSING, 2, 3, 4]


def test_off_it_remembers_nothing_and_starts_no_listener(make_app, app, app_ctx):
    application = make_app(LOCAL_MIRROR=False)
    memory = application.extensions["mirror"]
    assert memory.get("token:x") is MISSING and memory._thread is None


def _claims(token: str) -> dict:
    import base64
    import json
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
