"""Rate limits on login, register, password reset (request and confirm) and account changes:
per IP and per email, 429 in our shape. Each client is its own connection (REMOTE_ADDR); proxy
headers are not believed by default (tests/integration/foundation/test_proxy_headers.py)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from app.extensions import db
from app.models import User
from tests.integration.accounts.conftest import STRONG_PASSWORD

NEW_PASSWORD = "copper-meadow-sailing-77"


def _login(client, email, ip, password="wrong-password-1"):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def _assert_limited(response):
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited" and "10 per 1 minute" in error["message"]
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["X-RateLimit-Limit"] == "10"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) > 0


def test_eleventh_login_attempt_for_one_email_is_limited(client, accounts):
    accounts.register()
    for attempt in range(10):
        response = _login(client, "ada@example.com", "10.1.0.1")
        assert response.status_code == 401, attempt
        assert response.headers["X-RateLimit-Remaining"] == str(9 - attempt)
    eleventh = _login(client, "ada@example.com", "10.1.0.1", password=STRONG_PASSWORD)
    _assert_limited(eleventh)


def test_one_email_from_many_ips_is_limited(client, accounts):
    accounts.register()
    for attempt in range(10):
        assert _login(client, "ADA@example.com", f"10.2.0.{attempt}").status_code == 401
    _assert_limited(_login(client, "ada@example.com", "10.2.1.1"))
    # another account from a fresh IP is not affected
    assert _login(client, "grace@example.com", "10.2.2.2").status_code == 401


def test_many_emails_from_one_ip_are_limited(client):
    for attempt in range(10):
        assert _login(client, f"user{attempt}@example.com", "10.3.0.1").status_code == 401
    _assert_limited(_login(client, "someone@example.com", "10.3.0.1"))
    assert _login(client, "someone@example.com", "10.3.0.2").status_code == 401


def test_register_is_limited_per_ip(client):
    for attempt in range(10):
        response = client.post("/api/v1/auth/register", environ_base={"REMOTE_ADDR": "10.4.0.1"},
                               json={"email": f"user{attempt}@example.com", "password": STRONG_PASSWORD})
        assert response.status_code == 201
    response = client.post("/api/v1/auth/register", environ_base={"REMOTE_ADDR": "10.4.0.1"},
                           json={"email": "late@example.com", "password": STRONG_PASSWORD})
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in response.headers


def test_password_reset_is_limited_per_email_and_per_ip(client):
    def reset(email, ip):
        return client.post("/api/v1/auth/password-reset", json={"email": email},
                           environ_base={"REMOTE_ADDR": ip})

    for attempt in range(3):
        assert reset("ada@example.com", f"10.5.0.{attempt}").status_code == 202
    limited = reset("ada@example.com", "10.5.0.9")
    assert limited.status_code == 429 and limited.headers["X-RateLimit-Limit"] == "3"
    for attempt in range(5):
        assert reset(f"user{attempt}@example.com", "10.6.0.1").status_code == 202
    assert reset("other@example.com", "10.6.0.1").status_code == 429


def _emailed_reset_token(client, jobs, fake_sendgrid) -> str:
    assert client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"},
                       environ_base={"REMOTE_ADDR": "10.7.9.9"}).status_code == 202
    jobs.run()
    (sent,) = fake_sendgrid.delivered
    return parse_qs(urlsplit(re.search(r"\S*reset-password\?token=\S+", sent.text)[0]).query)["token"][0]


def test_password_reset_confirm_is_limited_per_ip(client, accounts, jobs, fake_sendgrid):
    accounts.register()
    token = _emailed_reset_token(client, jobs, fake_sendgrid)

    def confirm(reset_token, ip):
        return client.post("/api/v1/auth/password-reset/confirm", environ_base={"REMOTE_ADDR": ip},
                           json={"token": reset_token, "password": NEW_PASSWORD})

    for attempt in range(10):
        guess = confirm(f"guessed-token-{attempt}", "10.7.0.1")
        assert guess.status_code == 400 and guess.get_json()["error"]["code"] == "reset_token_invalid"
        assert guess.headers["X-RateLimit-Remaining"] == str(9 - attempt)
    limited = confirm(token, "10.7.0.1")  # even the right token, from this address
    _assert_limited(limited)
    assert accounts.login().status_code == 200  # the password did not change
    assert confirm(token, "10.7.0.2").status_code == 204  # another address; the token survived
    assert accounts.login(password=NEW_PASSWORD).status_code == 200


def test_account_changes_are_limited_per_ip(client, accounts):
    token = accounts.register()["access_token"]

    def change(current_password, ip):
        return client.patch("/api/v1/account", headers=accounts.bearer(token),
                            environ_base={"REMOTE_ADDR": ip},
                            json={"email": "new@example.com", "current_password": current_password})

    for attempt in range(10):
        guess = change(f"guess-number-{attempt}", "10.8.0.1")
        assert guess.status_code == 422, guess.get_json()
        assert guess.get_json()["error"]["code"] == "current_password_incorrect"
        assert guess.headers["X-RateLimit-Remaining"] == str(9 - attempt)
    _assert_limited(change(STRONG_PASSWORD, "10.8.0.1"))  # even the right password
    assert db.session.scalar(db.select(User)).email == "ada@example.com"
    changed = change(STRONG_PASSWORD, "10.8.0.2")
    assert changed.status_code == 200 and changed.get_json()["user"]["email"] == "new@example.com"
