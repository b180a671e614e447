"""Authentication fails closed while Redis (the token blocklist) is unreachable.

The app runs on a private redis-server that the test stops and starts again: while it is
down no token is accepted -- a revoked one must never pass -- and every protected request
answers 503 in our error shape; public routes keep working. Once Redis is back, the revoked
token is refused and the live one accepted again.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import RenderJob, RenderStatus, User
from tests.integration.accounts.conftest import STRONG_PASSWORD
from tests.support import factories
from tests.support.private_redis import PrivateRedis


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis", persistent=True).start()
    yield server
    server.stop()


@pytest.fixture
def outage_app(make_app, app, app_ctx, private_redis):
    """An app whose Redis (queue, token blocklist) is the private server.

    Rate limits stay on the run's Redis: Flask-Limiter's one ``limiter`` takes the storage of
    the last app built, so pointing it here would leave later tests' limits on a stopped server.
    """
    application = make_app(REDIS_URL=private_redis.url)
    with application.app_context():
        yield application
        db.session.remove()


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _assert_unavailable(response):
    assert response.status_code == 503, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "service_unavailable"
    assert set(error) == {"code", "message", "details"} and "temporarily unavailable" in error["message"]


def test_no_token_is_accepted_while_redis_is_down(outage_app, private_redis):
    client = outage_app.test_client()
    credentials = {"email": "ada@example.com", "password": STRONG_PASSWORD}
    revoked = client.post("/api/v1/auth/register", json=credentials).get_json()
    live = client.post("/api/v1/auth/login", json=credentials).get_json()
    assert client.post("/api/v1/auth/logout", headers=_bearer(revoked["access_token"])).status_code == 204
    user = db.session.scalar(db.select(User))
    job = factories.make_render_job(user, status=RenderStatus.QUEUED)
    assert client.get("/api/v1/account", headers=_bearer(revoked["access_token"])).status_code == 401
    assert client.get("/api/v1/account", headers=_bearer(live["access_token"])).status_code == 200

    private_redis.stop()

    for token in (revoked["access_token"], live["access_token"]):
        _assert_unavailable(client.get("/api/v1/account", headers=_bearer(token)))
        _assert_unavailable(client.post(f"/api/v1/renders/{job.id}/cancel", headers=_bearer(token)))
    _assert_unavailable(client.post("/api/v1/auth/refresh", headers=_bearer(revoked["refresh_token"])))
    db.session.expire_all()
    assert db.session.get(RenderJob, job.id).status == RenderStatus.QUEUED
    assert client.get("/api/v1/templates").status_code == 200  # public routes need no blocklist
    assert client.get("/api/v1/account").status_code == 401     # no token is still 401

    private_redis.start()  # the blocklist comes back from its append-only file

    refused = client.get("/api/v1/account", headers=_bearer(revoked["access_token"]))
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "token_revoked"
    assert client.get("/api/v1/account", headers=_bearer(live["access_token"])).status_code == 200
