"""Test base: one app per session on a real Postgres database and Redis keyspace of its own.

Tables are truncated and the Redis database flushed after every test, so tests may use
threads and subprocesses (a real worker) that see committed data.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from app import create_app
from app.config import TestConfig
from app.extensions import db, get_redis
from tests.support import factories
from tests.support.services import acquire


@pytest.fixture(scope="session")
def test_services():
    services = acquire()
    # Subprocesses (workers, CLI runs) started by tests find the same database and Redis.
    os.environ["TEST_DATABASE_URL"] = services.database_url
    os.environ["TEST_REDIS_URL"] = services.redis_url
    yield services
    services.close()


@pytest.fixture(scope="session")
def make_app(test_services, tmp_path_factory):
    """Build an app on the run's database and Redis; keyword arguments override config."""
    instance = tmp_path_factory.mktemp("instance")

    def _make(**overrides):
        config = TestConfig(
            SQLALCHEMY_DATABASE_URI=test_services.database_url,
            REDIS_URL=test_services.redis_url,
            RATELIMIT_STORAGE_URI=test_services.redis_url,
            STORAGE_LOCAL_ROOT=str(instance / "storage"),
            OUTBOX_DIR=str(instance / "outbox"),
        )
        for key, value in overrides.items():
            setattr(config, key, value)
        return create_app(config)

    return _make


@pytest.fixture(scope="session")
def app(make_app):
    application = make_app()
    with application.app_context():
        from flask_migrate import upgrade
        upgrade()  # the schema comes from the migrations, as in production
    return application


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Truncate tables and flush Redis after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    reset_state(request.getfixturevalue("app"))


def reset_state(application) -> None:
    """Empty every table and the run's Redis database (what each test starts from): the queues,
    rate limits, blocklist and the recorded metrics (``<REDIS_KEY_PREFIX>metrics:*``) alike."""
    with application.app_context():
        db.session.remove()
        tables = ", ".join(t.name for t in reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        get_redis().flushdb()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app, app_ctx):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def redis_conn(app, app_ctx):
    return get_redis()


@pytest.fixture
def user_factory(app_ctx):
    return factories.make_user


@pytest.fixture
def render_job_factory(app_ctx):
    return factories.make_render_job


@pytest.fixture
def payment_factory(app_ctx):
    return factories.make_payment


@pytest.fixture
def auth_headers(app_ctx):
    """``auth_headers(user)`` -> an Authorization header with a valid access token."""
    from tests.support.auth import auth_headers as make_headers
    return make_headers
