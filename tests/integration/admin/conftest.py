"""Fixtures of the admin tests: logged-in operator/viewer clients, an app whose Redis cannot be
reached, a clean storage, the local fakes."""

from __future__ import annotations

import socket

import pytest

from app.adapters import get_storage
from app.extensions import db
from tests.integration.admin.console import log_in, make_admin
from tests.integration.delivery.conftest import (  # noqa: F401  (GCS and finished-job fixtures)
    finished_job,
    gcs,
    gcs_app,
    gcs_emulator,
    signing_key,
    video_bytes,
)
from tests.integration.payments.conftest import (  # noqa: F401  (the local fake Stripe)
    _reset_fake_stripe,
    fake_stripe,
    make_stripe_app,
    paid_job,
    pay,
    pay_client,
    pay_ctx,
    stripe_app,
)
from tests.support.fake_sendgrid import fake_sendgrid, fake_sendgrid_server  # noqa: F401
from tests.support.job_runner import JobRunner


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_down_app(make_app, app):
    """An app on the run's database whose Redis is a closed port (``app`` migrated the DB)."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    # the limiter is one object shared by every app of the run and keeps the last app's storage:
    # it stays on the run's Redis (flushed after each test), never a closed port or memory
    return make_app(REDIS_URL=url, RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"])


@pytest.fixture
def redis_down(redis_down_app, app_ctx):
    with redis_down_app.app_context():
        yield redis_down_app
        db.session.remove()


@pytest.fixture
def clean_storage(app, app_ctx):
    storage = get_storage()
    for info in list(storage.list("")):
        storage.delete(info.key)
    yield storage
    for info in list(storage.list("")):
        storage.delete(info.key)


@pytest.fixture(scope="session")
def stripe_redis_down_app(make_stripe_app, app):  # noqa: F811  (the imported fixture)
    """Payments on (the fake Stripe), Redis a closed port (rate limits on the run's Redis)."""
    return make_stripe_app(REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0",
                           RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"])


@pytest.fixture
def stripe_redis_down(stripe_redis_down_app, app_ctx):
    with stripe_redis_down_app.app_context():
        yield stripe_redis_down_app
        db.session.remove()


@pytest.fixture
def jobs(app, app_ctx):
    return JobRunner(app)


@pytest.fixture
def operator(app_ctx):
    return make_admin("olga.operator@example.com", "operator")


@pytest.fixture
def viewer(app_ctx):
    return make_admin("victor.viewer@example.com", "viewer")


@pytest.fixture
def operator_client(app, operator):
    client = app.test_client()
    assert log_in(client, operator.email).status_code == 302
    return client


@pytest.fixture
def viewer_client(app, viewer):
    client = app.test_client()
    assert log_in(client, viewer.email).status_code == 302
    return client
