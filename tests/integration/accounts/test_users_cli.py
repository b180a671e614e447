"""flask create-admin and flask users disable/enable."""

from __future__ import annotations

from app.extensions import db
from app.models import User
from tests.integration.accounts.conftest import STRONG_PASSWORD


def _user(email):
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def test_create_admin_from_the_environment_then_log_in(runner, client, accounts):
    result = runner.invoke(args=["create-admin", "Root@Example.com"],
                           env={"WAVEFRAME_ADMIN_PASSWORD": STRONG_PASSWORD})
    assert result.exit_code == 0, result.output
    assert "Created administrator root@example.com" in result.output
    assert STRONG_PASSWORD not in result.output
    user = _user("root@example.com")
    assert user.is_admin and user.is_active
    login = accounts.login(email="root@example.com")
    assert login.status_code == 200 and login.get_json()["user"]["is_admin"] is True


def test_create_admin_prompts_for_the_password(runner, accounts):
    result = runner.invoke(args=["create-admin", "root@example.com"],
                           input=f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert accounts.login(email="root@example.com").status_code == 200


def test_create_admin_promotes_an_existing_account(runner, accounts):
    accounts.register(email="ada@example.com")
    result = runner.invoke(args=["create-admin", "ada@example.com"],
                           env={"WAVEFRAME_ADMIN_PASSWORD": "a-brand-new-passphrase"})
    assert result.exit_code == 0 and "Promoted" in result.output
    assert _user("ada@example.com").is_admin
    assert accounts.login(password="a-brand-new-passphrase").status_code == 200


def test_create_admin_refuses_a_weak_password(runner, app_ctx):
    result = runner.invoke(args=["create-admin", "root@example.com"],
                           env={"WAVEFRAME_ADMIN_PASSWORD": "password123"})
    assert result.exit_code != 0 and "too common" in result.output
    assert _user("root@example.com") is None


def test_users_disable_stops_tokens_and_login_then_enable(runner, client, accounts):
    session = accounts.register()
    headers = accounts.bearer(session["access_token"])
    result = runner.invoke(args=["users", "disable", "ADA@example.com"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/account", headers=headers).status_code == 401
    assert accounts.login().status_code == 403
    assert runner.invoke(args=["users", "enable", "ada@example.com"]).exit_code == 0
    assert accounts.login().status_code == 200
    assert client.get("/api/v1/account", headers=headers).status_code == 401  # old tokens stay revoked


def test_users_disable_unknown_email_fails(runner, app_ctx):
    result = runner.invoke(args=["users", "disable", "ghost@example.com"])
    assert result.exit_code != 0 and "No account" in result.output
