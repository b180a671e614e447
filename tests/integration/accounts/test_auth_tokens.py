"""Register, login, refresh, logout and revocation through the API."""

from __future__ import annotations

import statistics
import time

from flask_jwt_extended import decode_token

from app.extensions import db, get_redis, redis_client
from app.models import User
from tests.integration.accounts.conftest import STRONG_PASSWORD


def test_register_answers_user_and_tokens_with_normalised_email(client, accounts):
    body = accounts.register(email="  Ada.Lovelace@EXAMPLE.com ")
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert set(body["user"]) == {"id", "email", "is_admin", "created_at", "last_login_at"}
    assert body["user"]["email"] == "ada.lovelace@example.com" and body["user"]["is_admin"] is False
    user = db.session.scalar(db.select(User))
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert STRONG_PASSWORD not in user.password_hash


def test_tokens_carry_ids_and_lifetimes(app, accounts):
    body = accounts.register()
    access, refresh = decode_token(body["access_token"]), decode_token(body["refresh_token"])
    assert access["type"] == "access" and refresh["type"] == "refresh"
    assert access["jti"] and refresh["jti"] and access["jti"] != refresh["jti"]
    assert access["rjti"] == refresh["jti"]
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 30 * 24 * 3600
    assert access["fresh"] is True


def test_duplicate_email_is_refused_case_insensitively(client, accounts):
    accounts.register(email="ada@example.com")
    response = client.post("/api/v1/auth/register",
                           json={"email": "ADA@Example.COM", "password": "another-good-passphrase"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "email_taken"
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


def test_invalid_email_and_weak_passwords_are_422(client):
    cases = [
        ({"email": "not-an-email", "password": STRONG_PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": "short"}, "password"),
        ({"email": "ada@example.com", "password": "password123"}, "password"),
        ({"email": "ada@example.com", "password": "1234567890"}, "password"),
        ({"email": "longname12@example.com", "password": "LongName12@example.com"}, "password"),
        ({"email": "longname12@example.com", "password": "longname12"}, "password"),
    ]
    for payload, field in cases:
        response = client.post("/api/v1/auth/register", json=payload)
        assert response.status_code == 422, payload
        error = response.get_json()["error"]
        assert error["code"] == "invalid_field" and field in error["details"]["fields"], payload
    missing = client.post("/api/v1/auth/register", json={"email": "ada@example.com"})
    assert missing.status_code == 422
    assert "password" in missing.get_json()["error"]["details"]["fields"]
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_login_and_access(client, accounts):
    accounts.register()
    response = accounts.login(email="ADA@example.com")
    assert response.status_code == 200
    body = response.get_json()
    me = client.get("/api/v1/account", headers=accounts.bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["email"] == "ada@example.com"
    assert me.get_json()["last_login_at"] is not None


def test_login_error_is_the_same_for_unknown_email_and_wrong_password(client, accounts):
    accounts.register()

    def attempt(email):
        # CPU time of this thread (the test client runs the request, argon2 included, in it):
        # unlike wall time it does not grow when other processes load the machine.
        started = time.thread_time()
        response = client.post("/api/v1/auth/login", json={"email": email, "password": "wrong-password-1"},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{hash(email) % 200}"})
        return response, time.thread_time() - started

    wrong, _ = attempt("ada@example.com")
    unknown, _ = attempt("nobody@example.com")
    malformed, _ = attempt("not an email")
    assert wrong.status_code == unknown.status_code == malformed.status_code == 401
    assert wrong.get_json() == unknown.get_json() == malformed.get_json() == {"error": {
        "code": "invalid_credentials", "message": "The email or password is incorrect.", "details": {}}}
    # Same work either way: an unknown email still costs one argon2 verification. Without it
    # an unknown email costs ~1/20 of the CPU time of a wrong password.
    wrong_times = [attempt("ada@example.com")[1] for _ in range(5)]
    unknown_times = [attempt(f"nobody{i}@example.com")[1] for i in range(5)]
    ratio = statistics.median(unknown_times) / statistics.median(wrong_times)
    assert 0.5 < ratio < 2.0, (wrong_times, unknown_times)


def test_disabled_account_cannot_log_in_and_its_tokens_stop_at_once(client, accounts):
    body = accounts.register()
    headers = accounts.bearer(body["access_token"])
    assert client.get("/api/v1/account", headers=headers).status_code == 200
    user = db.session.scalar(db.select(User))
    user.is_active = False
    db.session.commit()
    response = client.get("/api/v1/account", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in {"account_unavailable", "token_revoked"}
    refreshed = client.post("/api/v1/auth/refresh", headers=accounts.bearer(body["refresh_token"]))
    assert refreshed.status_code == 401
    login = accounts.login()
    assert login.status_code == 403 and login.get_json()["error"]["code"] == "account_disabled"


def test_refresh_gives_a_non_fresh_access_token(client, accounts):
    body = accounts.register()
    response = client.post("/api/v1/auth/refresh", headers=accounts.bearer(body["refresh_token"]))
    assert response.status_code == 200
    new_access = response.get_json()["access_token"]
    claims = decode_token(new_access)
    assert claims["type"] == "access" and claims["fresh"] is False
    assert client.get("/api/v1/account", headers=accounts.bearer(new_access)).status_code == 200


def test_refresh_token_is_refused_on_a_normal_endpoint_and_access_token_on_refresh(client, accounts):
    body = accounts.register()
    response = client.get("/api/v1/account", headers=accounts.bearer(body["refresh_token"]))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"
    response = client.post("/api/v1/auth/refresh", headers=accounts.bearer(body["access_token"]))
    assert response.status_code == 401


def test_logout_revokes_access_and_refresh_token_of_the_login(client, accounts, redis_conn):
    body = accounts.register()
    other = accounts.login().get_json()  # a second login stays valid
    response = client.post("/api/v1/auth/logout", headers=accounts.bearer(body["access_token"]))
    assert response.status_code == 204

    revoked = client.get("/api/v1/account", headers=accounts.bearer(body["access_token"]))
    assert revoked.status_code == 401 and revoked.get_json()["error"]["code"] == "token_revoked"
    refresh = client.post("/api/v1/auth/refresh", headers=accounts.bearer(body["refresh_token"]))
    assert refresh.status_code == 401 and refresh.get_json()["error"]["code"] == "token_revoked"
    again = client.post("/api/v1/auth/logout", headers=accounts.bearer(body["access_token"]))
    assert again.status_code == 401
    assert client.get("/api/v1/account", headers=accounts.bearer(other["access_token"])).status_code == 200

    # the blocklist entries live as long as the tokens would have
    access, refresh_claims = decode_token(body["access_token"]), decode_token(body["refresh_token"])
    access_ttl = get_redis().ttl(redis_client.key("blocklist", access["jti"]))
    refresh_ttl = get_redis().ttl(redis_client.key("blocklist", refresh_claims["jti"]))
    assert 0 < access_ttl <= 900 and abs(access_ttl - (access["exp"] - time.time())) < 5
    assert abs(refresh_ttl - (refresh_claims["exp"] - time.time())) < 5


def test_logout_with_the_refresh_token_also_stops_its_access_tokens(client, accounts):
    body = accounts.register()
    derived = client.post("/api/v1/auth/refresh",
                          headers=accounts.bearer(body["refresh_token"])).get_json()["access_token"]
    response = client.post("/api/v1/auth/logout", headers=accounts.bearer(body["refresh_token"]))
    assert response.status_code == 204
    for token in (body["access_token"], derived):
        assert client.get("/api/v1/account", headers=accounts.bearer(token)).status_code == 401
    assert client.post("/api/v1/auth/refresh",
                       headers=accounts.bearer(body["refresh_token"])).status_code == 401


def test_missing_and_garbage_tokens_are_401_in_our_shape(client):
    response = client.get("/api/v1/account")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    response = client.get("/api/v1/account", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_token"
