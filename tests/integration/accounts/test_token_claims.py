"""A token signed with the app's own secret but missing a claim, or carrying one of the wrong
type, is refused with 401 in the error shape -- never a 500 -- on every kind of guarded route."""

from __future__ import annotations

import jwt
import pytest
from flask import current_app

# (method, path, kind of token the route takes)
GUARDED = [
    ("GET", "/api/v1/account", "access"),
    ("GET", "/api/v1/renders", "access"),
    ("POST", "/api/v1/auth/refresh", "refresh"),
    ("POST", "/api/v1/auth/logout", "access"),
    ("POST", "/api/v1/auth/logout", "refresh"),
]
# Claims a token can do without (tokens made by tests/support/auth.py have no rjti/rexp).
OPTIONAL = {"iat", "nbf", "fresh", "rjti", "rexp", "iat_us", "csrf"}
WRONG_TYPES = [None, 12345, 1.5, True, ["x"], {"a": 1}, "", "not-a-uuid"]


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _sign(claims: dict) -> str:
    config = current_app.config
    return jwt.encode(claims, config["JWT_SECRET_KEY"], algorithm=config.get("JWT_ALGORITHM", "HS256"))


def _assert_401(response, what):
    assert response.status_code == 401, (what, response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, what


@pytest.fixture
def session(accounts):
    return accounts.register()


def _tokens(session) -> dict[str, str]:
    return {"access": session["access_token"], "refresh": session["refresh_token"]}


def test_the_untouched_tokens_work(client, accounts, session):
    tokens = _tokens(session)
    for method, path, kind in GUARDED[:3]:
        response = client.open(path, method=method, headers=accounts.bearer(tokens[kind]))
        assert response.status_code == 200, (path, response.get_json())


@pytest.mark.parametrize(("method", "path", "kind"), GUARDED)
def test_every_claim_missing_in_turn_is_a_401(client, accounts, session, method, path, kind):
    original = _claims(_tokens(session)[kind])
    assert {"sub", "jti", "type", "exp", "iat", "iat_us"} <= set(original)
    for claim in sorted(original):
        claims = {k: v for k, v in original.items() if k != claim}
        response = client.open(path, method=method, headers=accounts.bearer(_sign(claims)))
        if claim in OPTIONAL:
            # not needed to tell who and which login: refused or accepted, never a 500
            assert response.status_code in {200, 204, 401}, (claim, response.get_data(as_text=True)[:300])
            continue
        _assert_401(response, f"without {claim}")


@pytest.mark.parametrize(("method", "path", "kind"), GUARDED)
def test_every_claim_of_the_wrong_type_is_a_401(client, accounts, session, method, path, kind):
    original = _claims(_tokens(session)[kind])
    for claim in sorted(original):
        for value in WRONG_TYPES:
            claims = {**original, claim: value}
            response = client.open(path, method=method, headers=accounts.bearer(_sign(claims)))
            assert response.status_code in {200, 204, 401}, (claim, value,
                                                             response.get_data(as_text=True)[:300])
            if claim in {"sub", "jti", "type"}:
                _assert_401(response, f"{claim}={value!r}")


def test_a_token_with_nothing_but_a_subject_is_a_401(client, accounts, session):
    sub = _claims(session["access_token"])["sub"]
    for claims in ({"sub": sub}, {"sub": sub, "type": "access"}, {"sub": sub, "jti": "x"}, {}):
        _assert_401(client.get("/api/v1/account", headers=accounts.bearer(_sign(claims))), claims)
