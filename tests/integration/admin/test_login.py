"""The console's login: its own page and session, the CSP, audit rows, the rate limit."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.config import Config
from app.extensions import db
from app.models import AuditEvent, User
from tests.integration.admin.console import PASSWORD, csrf_token, log_in, make_admin, make_customer


def _audit(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_anonymous_is_sent_to_the_login_page_and_comes_back_after(client, app_ctx):
    response = client.get("/admin/users/?search=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")
    make_admin("ada@example.com")
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Log in" in html
    answer = client.post("/admin/login", data={
        "email": "ADA@example.com", "password": PASSWORD, "csrf_token": csrf_token(html),
        "next": "/admin/users/?search=x"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/users/?search=x"
    assert client.get("/admin/users/?search=x").status_code == 200


def test_next_never_leads_off_the_console(client, app_ctx):
    make_admin("ada@example.com")
    answer = log_in(client, "ada@example.com", next="https://evil.example/admin")
    assert answer.headers["Location"] == "/admin/"


def test_session_cookie_flags_and_page_headers(client, app_ctx):
    make_admin("ada@example.com")
    answer = log_in(client, "ada@example.com")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("waveframe_admin=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # test config; production sets it (see test below)
    page = client.get("/admin/users/")
    csp = page.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    script_src = csp.split("script-src")[1].split(";")[0]
    assert script_src.startswith(" 'self' 'nonce-") and "unsafe-inline" not in script_src
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert not re.search(r"\son[a-z]+=", html), "an inline event handler (the CSP blocks it)"
    # every asset of the page is served from here
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    external = [u for u in urls if "//" in u or not u.startswith(("/", "#", "?", "javascript:void(0)"))]
    assert urls and external == []
    for url in {u for u in urls if u.startswith("/admin/static/") or u.startswith("/admin/console-static/")}:
        assert client.get(url).status_code == 200, url


def test_production_cookie_is_secure():
    assert Config({"APP_ENV": "production"}).SESSION_COOKIE_SECURE is True
    assert Config({"APP_ENV": "development"}).SESSION_COOKIE_SECURE is False


def test_login_and_failed_logins_and_logout_are_audited(client, app_ctx):
    admin = make_admin("ada@example.com", "viewer")
    make_customer("carl@example.com")
    assert log_in(client, "ada@example.com", "wrong-password-123").status_code == 401
    assert log_in(client, "nobody@example.com").status_code == 401
    refused = log_in(client, "carl@example.com")
    assert refused.status_code == 401 and "may not use the console" in refused.get_data(as_text=True)
    assert log_in(client, "ada@example.com").status_code == 302

    failed = {(e.actor_email, e.reason) for e in _audit("login_failed")}
    assert failed == {("ada@example.com", "invalid_credentials"),
                      ("nobody@example.com", "invalid_credentials"),
                      ("carl@example.com", "no_admin_role")}
    (login,) = _audit("login")
    assert (login.actor_id, login.actor_email, login.actor_role, login.target_id, login.ip) == (
        admin.id, "ada@example.com", "viewer", str(admin.id), "127.0.0.1")

    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert [e.actor_id for e in _audit("logout")] == [admin.id]
    assert client.get("/admin/").status_code == 302  # the session is over


def test_logout_kills_a_copied_cookie_too(app, client, app_ctx):
    make_admin("ada@example.com")
    log_in(client, "ada@example.com")
    cookie = client.get_cookie("waveframe_admin", path="/admin").value
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    client.post("/admin/logout", data={"csrf_token": token})
    thief = app.test_client()
    thief.set_cookie("waveframe_admin", cookie, path="/admin")
    assert thief.get("/admin/").status_code == 302


def test_disabling_or_demoting_ends_the_session_at_once(operator_client, operator, app_ctx):
    assert operator_client.get("/admin/").status_code == 200
    user = db.session.get(User, operator.id)
    user.admin_role = "viewer"
    db.session.commit()
    assert "read-only" in operator_client.get("/admin/").get_data(as_text=True)
    user.admin_role = None
    db.session.commit()
    assert operator_client.get("/admin/").status_code == 403
    user.admin_role, user.is_active = "operator", False
    db.session.commit()
    assert operator_client.get("/admin/").status_code == 302


def test_login_without_its_csrf_token_is_refused(client, app_ctx):
    make_admin("ada@example.com")
    answer = client.post("/admin/login", data={"email": "ada@example.com", "password": PASSWORD})
    assert answer.status_code == 400
    assert client.get("/admin/").status_code == 302
    assert _audit("login") == []


def test_login_is_rate_limited_per_ip_and_per_account(app, client, app_ctx):
    make_admin("ada@example.com")
    for n in range(10):  # per IP: ten tries a minute, whatever the account
        assert log_in(client, f"someone{n}@example.com", "wrong-password-123").status_code == 401
    limited = log_in(client, "ada@example.com")
    assert limited.status_code == 429 and "Too many login attempts" in limited.get_data(as_text=True)
    assert "Retry-After" in limited.headers
    assert client.get("/admin/").status_code == 302  # not logged in

    # per account: ten tries a minute at one email, from as many addresses
    for n in range(10):
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        assert log_in(other, "olga@example.com", "wrong-password-123").status_code == 401
    last = app.test_client()
    last.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    assert log_in(last, "olga@example.com").status_code == 429
    assert log_in(last, "ada@example.com").status_code == 302  # another account from there: fine
