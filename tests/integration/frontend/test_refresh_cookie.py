"""The web app's refresh token in an HttpOnly cookie (X-Refresh-Token-Transport: cookie)."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from tests.integration.accounts.conftest import STRONG_PASSWORD

COOKIE = "waveframe_refresh"
PATH = "/api/v1/auth"
WEB = {"X-Refresh-Token-Transport": "cookie"}


def set_cookie(response) -> SimpleCookie:
    jar = SimpleCookie()
    for header in response.headers.getlist("Set-Cookie"):
        jar.load(header)
    return jar


def register(client, *, headers=WEB, email="ada@example.com"):
    response = client.post("/api/v1/auth/register", json={"email": email, "password": STRONG_PASSWORD},
                           headers=headers)
    assert response.status_code == 201, response.json
    return response


def test_cookie_mode_sets_an_httponly_strict_cookie_and_keeps_the_token_out_of_the_body(client):
    response = register(client)
    assert "refresh_token" not in response.json
    assert response.json["access_token"] and response.json["user"]["email"] == "ada@example.com"
    morsel = set_cookie(response)[COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == PATH
    assert int(morsel["max-age"]) == 30 * 24 * 3600
    assert not morsel["secure"]  # plain HTTP here; see the HTTPS test below
    assert response.headers["Cache-Control"] == "no-store"


def test_without_the_header_nothing_changes(client):
    response = register(client, headers={})
    assert response.json["refresh_token"]
    assert COOKIE not in set_cookie(response)


def test_refresh_with_the_cookie_needs_the_header(client):
    register(client)
    assert client.get_cookie(COOKIE, path=PATH) is not None
    refused = client.post("/api/v1/auth/refresh")  # the cookie alone is never looked at
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthorized"
    refreshed = client.post("/api/v1/auth/refresh", headers=WEB)
    assert refreshed.status_code == 200, refreshed.json
    me = client.get("/api/v1/account",
                    headers={"Authorization": f"Bearer {refreshed.json['access_token']}"})
    assert me.status_code == 200 and me.json["email"] == "ada@example.com"


def test_login_in_cookie_mode_and_logout_clears_and_revokes(client):
    register(client, headers={})
    login = client.post("/api/v1/auth/login", json={"email": "ada@example.com",
                                                     "password": STRONG_PASSWORD}, headers=WEB)
    assert login.status_code == 200 and "refresh_token" not in login.json
    stolen = client.get_cookie(COOKIE, path=PATH).value
    bearer = {"Authorization": f"Bearer {login.json['access_token']}"}
    out = client.post("/api/v1/auth/logout", headers={**bearer, **WEB})
    assert out.status_code == 204
    cleared = set_cookie(out)[COOKIE]
    assert cleared.value == "" and cleared["path"] == PATH
    assert client.get_cookie(COOKIE, path=PATH) is None
    # the logged-out login's refresh token is revoked, whichever way it is presented
    client.set_cookie(COOKIE, stolen, path=PATH)
    assert client.post("/api/v1/auth/refresh", headers=WEB).json["error"]["code"] == "token_revoked"
    assert client.post("/api/v1/auth/refresh",
                       headers={"Authorization": f"Bearer {stolen}"}).status_code == 401


def test_a_password_change_moves_the_new_refresh_token_into_the_cookie(client):
    first = register(client)
    old_cookie = client.get_cookie(COOKIE, path=PATH).value
    changed = client.patch("/api/v1/account", json={"current_password": STRONG_PASSWORD,
                                                     "password": "another-long-passphrase-7"},
                           headers={"Authorization": f"Bearer {first.json['access_token']}", **WEB})
    assert changed.status_code == 200, changed.json
    assert "refresh_token" not in changed.json and changed.json["access_token"]
    new_cookie = client.get_cookie(COOKIE, path=PATH).value
    assert new_cookie != old_cookie
    assert client.post("/api/v1/auth/refresh", headers=WEB).status_code == 200
    client.set_cookie(COOKIE, old_cookie, path=PATH)
    assert client.post("/api/v1/auth/refresh", headers=WEB).status_code == 401


@pytest.mark.parametrize("base_url", ["https://waveframe.test"])
def test_the_cookie_is_secure_over_https(client, base_url):
    response = client.post("/api/v1/auth/register", base_url=base_url, headers=WEB,
                           json={"email": "ada@example.com", "password": STRONG_PASSWORD})
    assert response.status_code == 201
    assert set_cookie(response)[COOKIE]["secure"]


def test_the_openapi_document_describes_the_header(client):
    spec = client.get("/api/openapi.json").json
    for path, method in [("/api/v1/auth/login", "post"), ("/api/v1/auth/register", "post"),
                         ("/api/v1/auth/refresh", "post"), ("/api/v1/auth/logout", "post"),
                         ("/api/v1/account", "patch")]:
        names = [p["name"] for p in spec["paths"][path][method].get("parameters", [])]
        assert "X-Refresh-Token-Transport" in names, (path, method)
    session = spec["components"]["schemas"]["AuthSession"]
    assert "refresh_token" not in session.get("required", [])


def test_an_unknown_transport_is_refused_before_anything_happens(client):
    """Found by the API fuzzing: ``X-Refresh-Token-Transport: queued`` was ignored (201, the
    refresh token in the body) although the document allows only ``cookie``."""
    from app.models import User

    body = {"email": "ada@example.com", "password": STRONG_PASSWORD}
    for value in ("queued", "body", "", "cookies"):
        response = client.post("/api/v1/auth/register", json=body,
                               headers={"X-Refresh-Token-Transport": value})
        assert response.status_code == 422, (value, response.json)
        assert "X-Refresh-Token-Transport" in response.json["error"]["details"]["fields"]
        assert "Set-Cookie" not in response.headers
    assert User.query.count() == 0  # refused before the account was created
    session = register(client, headers={"X-Refresh-Token-Transport": "Cookie"}).json
    for path in ("/api/v1/auth/refresh", "/api/v1/auth/logout"):
        response = client.post(path, headers={"Authorization": f"Bearer {session['access_token']}",
                                              "X-Refresh-Token-Transport": "nope"})
        assert response.status_code == 422
