"""What one status poll (``GET /api/v1/renders/{id}``) costs the database, and that the cheaper
path still refuses revoked tokens and disabled accounts.

The load figures are ``make load`` (docs/RELIABILITY.md); this counts SQL statements, which is
what made a poll slow (the token's user was selected twice and the job joined the user again).
Now a poll of an unchanged job sends none (its answer is kept in Redis until the job changes,
app/renders/status_cache.py), otherwise one SELECT of the job's shown columns
(app/renders/status.py), plus one of the account's state when it is not cached
(app/accounts/token_state.py, at most 1 s).
Each request runs in its own app context, as under gunicorn, so nothing is left in the session
from the test's own set-up.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import User
from tests.integration.accounts.conftest import STRONG_PASSWORD
from tests.integration.renders.conftest import upload


@contextmanager
def sql_statements(app):
    """The SQL statements the app sends while the block runs."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reads_table(statement: str, table: str) -> bool:
    return re.search(rf"\b(FROM|JOIN) {table}\b", statement) is not None


@pytest.fixture
def polled_job(app, media, render_tmp):
    """A registered user's access token and a job created through the API, no app context left."""
    client = app.test_client()
    register = client.post("/api/v1/auth/register",
                           json={"email": "poller@example.com", "password": STRONG_PASSWORD})
    token = register.get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = upload(client, headers, media["wav"], filename="tone.wav")
    assert created.status_code == 201, created.get_json()
    return client, headers, created.get_json()["id"]


def test_a_poll_sends_one_statement_the_job_with_its_owner_in_the_where(app, polled_job, monkeypatch):
    monkeypatch.setitem(app.config, "STATUS_CACHE_SECONDS", 0)  # every poll reads the database
    client, headers, job_id = polled_job
    assert client.get(f"/api/v1/renders/{job_id}", headers=headers).status_code == 200
    with sql_statements(app) as statements:  # the account's state is now cached (<= 1 s)
        response = client.get(f"/api/v1/renders/{job_id}", headers=headers)
    assert response.status_code == 200 and response.get_json()["id"] == job_id
    assert len(statements) <= 1, statements
    assert sum(reads_table(s, "render_jobs") for s in statements) == 1, statements
    assert "render_jobs.user_id = " in statements[0], statements


def test_a_poll_of_an_unchanged_job_sends_no_statement(app, polled_job):
    client, headers, job_id = polled_job
    with sql_statements(app) as first:
        assert client.get(f"/api/v1/renders/{job_id}", headers=headers).status_code == 200
    with sql_statements(app) as statements:  # the answer is in Redis until the job changes
        response = client.get(f"/api/v1/renders/{job_id}", headers=headers)
    assert response.status_code == 200 and response.get_json()["id"] == job_id
    assert sum(reads_table(s, "render_jobs") for s in first) == 1, first
    assert statements == []


def test_a_poll_with_the_caches_off_reads_the_account_once_and_the_job_once(app, polled_job,
                                                                             monkeypatch):
    monkeypatch.setitem(app.config, "ACCOUNT_STATE_CACHE_SECONDS", 0)
    monkeypatch.setitem(app.config, "STATUS_CACHE_SECONDS", 0)
    client, headers, job_id = polled_job
    with sql_statements(app) as statements:
        response = client.get(f"/api/v1/renders/{job_id}", headers=headers)
    assert response.status_code == 200 and response.get_json()["id"] == job_id
    assert len(statements) <= 2, statements
    assert sum(reads_table(s, "users") for s in statements) == 1, statements
    assert sum(reads_table(s, "render_jobs") for s in statements) == 1, statements


def test_a_revoked_token_is_still_refused(app, polled_job):
    client, headers, job_id = polled_job
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = client.get(f"/api/v1/renders/{job_id}", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_revoked"


def test_a_token_older_than_a_password_change_is_still_refused(app, polled_job):
    client, headers, job_id = polled_job
    changed = client.patch("/api/v1/account", headers=headers, json={
        "current_password": STRONG_PASSWORD, "password": "another-violet-harbour-43"})
    assert changed.status_code == 200, changed.get_json()
    response = client.get(f"/api/v1/renders/{job_id}", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_revoked"


def test_a_disabled_user_is_still_refused(app, polled_job):
    client, headers, job_id = polled_job
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "poller@example.com"))
        user.is_active = False
        db.session.commit()
    response = client.get(f"/api/v1/renders/{job_id}", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in {"account_unavailable", "token_revoked"}


def test_another_users_job_is_still_404(app, polled_job):
    client, _headers, job_id = polled_job
    other = client.post("/api/v1/auth/register",
                        json={"email": "stranger@example.com", "password": STRONG_PASSWORD})
    stranger = {"Authorization": f"Bearer {other.get_json()['access_token']}"}
    response = client.get(f"/api/v1/renders/{job_id}", headers=stranger)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "render_not_found"
