"""Tokens that verified are remembered (app/verified_tokens.py): the second request with the same
token does not parse it again, yet expiry, tampering, another key and revocation still refuse."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt.api_jws
import pytest
from flask_jwt_extended import create_access_token

from app import verified_tokens
from app.verified_tokens import VerifiedTokens
from tests.integration.accounts.conftest import STRONG_PASSWORD


@pytest.fixture
def account(app):
    client = app.test_client()
    body = client.post("/api/v1/auth/register",
                       json={"email": "remembered@example.com", "password": STRONG_PASSWORD}).get_json()
    return client, body["access_token"]


@pytest.fixture
def parses(monkeypatch):
    """How many times PyJWT parses a token while the block runs."""
    calls = []
    original = jwt.api_jws.PyJWS._load

    def counting(self, token):
        calls.append(token)
        return original(self, token)
    monkeypatch.setattr(jwt.api_jws.PyJWS, "_load", counting)
    return calls


def me(client, token):
    return client.get("/api/v1/account", headers={"Authorization": f"Bearer {token}"})


def assert_refused(response, code: str) -> None:
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == code


def test_a_token_that_verified_is_not_parsed_again(app, account, parses):
    client, token = account
    assert me(client, token).status_code == 200
    first = len(parses)
    assert me(client, token).status_code == 200
    assert first >= 3 and len(parses) == first  # four parses per request before; none now


def test_a_remembered_token_still_expires(app, account, monkeypatch):
    client, _token = account
    with app.test_request_context():
        from flask_jwt_extended import decode_token
        identity = decode_token(_token)["sub"]
        short = create_access_token(identity=identity, expires_delta=timedelta(seconds=30))
    assert me(client, short).status_code == 200  # remembered now
    later = time.time() + 31 + app.config.get("JWT_DECODE_LEEWAY", 0)
    monkeypatch.setattr(verified_tokens.time, "time", lambda: later)
    assert_refused(me(client, short), "token_expired")


def test_a_tampered_copy_of_a_remembered_token_is_refused(app, account):
    client, token = account
    assert me(client, token).status_code == 200
    header, claims, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    for forged in (f"{header}.{claims}.{flipped}", f"{header}.{claims}.", f"{header}.{claims}"):
        assert me(client, forged).status_code == 401


def test_a_remembered_token_is_refused_under_another_key(app, account, monkeypatch):
    client, token = account
    assert me(client, token).status_code == 200
    monkeypatch.setitem(app.config, "JWT_SECRET_KEY", "a-rotated-key-" + "x" * 50)
    assert_refused(me(client, token), "invalid_token")


def test_a_remembered_token_is_still_refused_once_revoked(app, account):
    client, token = account
    assert me(client, token).status_code == 200
    assert client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert_refused(me(client, token), "token_revoked")


def test_the_memory_is_bounded_least_recently_used_first_out(app):
    memory = VerifiedTokens(size=2)
    with app.app_context():
        memory.put("a", {}, {"sub": "1"})
        memory.put("b", {}, {"sub": "2"})
        assert memory.get("a") is not None  # a is now the most recent
        memory.put("c", {}, {"sub": "3"})
        assert len(memory) == 2 and memory.get("b") is None
        assert memory.get("a") is not None and memory.get("c") is not None
