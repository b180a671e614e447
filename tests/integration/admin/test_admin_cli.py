"""flask create-admin --role and flask users set-role."""

from __future__ import annotations

from app.extensions import db
from app.models import User
from tests.integration.admin.console import PASSWORD, log_in, make_customer


def _user(email):
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def test_create_admin_defaults_to_operator_and_takes_a_role(runner, app_ctx):
    env = {"WAVEFRAME_ADMIN_PASSWORD": PASSWORD}
    result = runner.invoke(args=["create-admin", "olga@example.com"], env=env)
    assert result.exit_code == 0 and "role operator" in result.output, result.output
    result = runner.invoke(args=["create-admin", "victor@example.com", "--role", "viewer"], env=env)
    assert result.exit_code == 0 and "role viewer" in result.output, result.output
    assert (_user("olga@example.com").admin_role, _user("victor@example.com").admin_role) == (
        "operator", "viewer")
    assert _user("victor@example.com").is_admin
    bad = runner.invoke(args=["create-admin", "x@example.com", "--role", "root"], env=env)
    assert bad.exit_code != 0 and _user("x@example.com") is None


def test_users_set_role_then_none(app, runner, app_ctx):
    make_customer("carl@example.com")
    result = runner.invoke(args=["users", "set-role", "carl@example.com", "viewer"])
    assert result.exit_code == 0 and "now has the role viewer" in result.output, result.output
    client = app.test_client()
    assert log_in(client, "carl@example.com").status_code == 302
    assert "read-only" in client.get("/admin/").get_data(as_text=True)

    result = runner.invoke(args=["users", "set-role", "carl@example.com", "none"])
    assert result.exit_code == 0 and "now has the role none" in result.output
    assert _user("carl@example.com").admin_role is None and not _user("carl@example.com").is_admin
    assert client.get("/admin/").status_code == 403  # the open session loses the console at once

    assert runner.invoke(args=["users", "set-role", "carl@example.com", "root"]).exit_code != 0
    unknown = runner.invoke(args=["users", "set-role", "nobody@example.com", "viewer"])
    assert unknown.exit_code != 0 and "No account" in unknown.output
