"""Hashes keep verifying after a parameter change and are upgraded at the next login."""

from __future__ import annotations

from app.accounts.passwords import hash_password
from app.extensions import db
from app.models import User
from tests.integration.accounts.conftest import STRONG_PASSWORD


def test_old_parameters_still_verify_and_are_rehashed_on_login(app, client, accounts, monkeypatch):
    accounts.register()
    with monkeypatch.context() as earlier:  # the parameters of an earlier deployment
        earlier.setitem(app.config, "PASSWORD_HASH_TIME_COST", 1)
        earlier.setitem(app.config, "PASSWORD_HASH_MEMORY_KIB", 8192)
        user = db.session.scalar(db.select(User))
        user.password_hash = hash_password(STRONG_PASSWORD)
        db.session.commit()
    assert "$m=8192,t=1,p=1$" in user.password_hash

    assert accounts.login().status_code == 200
    db.session.expire_all()
    upgraded = db.session.scalar(db.select(User)).password_hash
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert accounts.login().status_code == 200
    assert accounts.login(password="wrong-password-1").status_code == 401


def test_openapi_documents_the_account_endpoints(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh",
                 "/api/v1/auth/logout", "/api/v1/auth/password-reset",
                 "/api/v1/auth/password-reset/confirm", "/api/v1/account", "/api/v1/account/history"):
        assert path in spec["paths"], path
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert {"200", "401", "429"} <= set(login["responses"])
    assert "patch" in spec["paths"]["/api/v1/account"]
