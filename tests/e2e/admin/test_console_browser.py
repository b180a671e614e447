"""An operator and a viewer use the console in Chromium against a live server."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app.accounts.service import create_admin, register
from app.extensions import db
from app.models import AuditEvent, RenderStatus, User, utcnow
from tests.support import factories

pytestmark = pytest.mark.slow

PASSWORD = "violet-harbour-lantern-42"
PHONE_390 = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def _user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def shoot(web, name: str) -> None:
    for label, size in (("1280", DESKTOP), ("390", PHONE_390)):
        web.page.set_viewport_size(size)
        web.page.screenshot(path=str(web.artifacts / f"admin-{name}-{label}.png"), full_page=True)
    web.page.set_viewport_size(DESKTOP)


def log_in(web, email: str) -> None:
    page = web.goto("/admin/users/")
    page.wait_for_url(lambda url: "/admin/login?next=" in url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/users/")


def run_action(page, user_id, label: str) -> None:
    page.locator(f'input.action-checkbox[value="{user_id}"]').check()
    page.get_by_role("button", name="With selected").or_(page.get_by_text("With selected")).first.click()
    page.get_by_role("button", name=label, exact=True).click()


def only_this_origin(web) -> list[str]:
    origin = urlsplit(web.base_url).netloc
    return [r.url for r in web.requests if urlsplit(r.url).scheme in ("http", "https")
            and urlsplit(r.url).netloc != origin]


def test_operator_disables_a_user_and_a_viewer_is_refused(browse, live_server, app_ctx):
    create_admin("olga@example.com", PASSWORD, "operator")
    create_admin("victor@example.com", PASSWORD, "viewer")
    carl = register("carl@example.com", PASSWORD).user
    now = utcnow()
    factories.make_render_job(carl, status=RenderStatus.FAILED, attempts=2, error_code="render_failed",
                              error_message="ffmpeg exited with 1", queued_at=now - timedelta(seconds=9),
                              started_at=now - timedelta(seconds=5), failed_at=now)

    operator = browse()
    operator.page.on("dialog", lambda dialog: dialog.accept())
    operator.goto("/admin/")
    operator.page.wait_for_url(lambda url: "/admin/login?next=" in url)
    expect(operator.page.get_by_role("heading", name="Waveframe console")).to_be_visible()
    shoot(operator, "login")
    log_in(operator, "olga@example.com")
    page = operator.page
    expect(page.get_by_text("carl@example.com")).to_be_visible()
    expect(page.get_by_test_id("admin-role")).to_have_text("operator")
    shoot(operator, "users")

    run_action(page, carl.id, "Disable")
    expect(page.get_by_text("Disabled: 1 row(s).")).to_be_visible()
    assert _user("carl@example.com").is_active is False
    audit = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.disable"))
    assert audit.actor_email == "olga@example.com" and audit.target_id == str(carl.id)
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("cell", name="user.disable")).to_be_visible()
    shoot(operator, "audit")
    page.get_by_role("link", name="Render jobs").click()
    expect(page.get_by_text("ffmpeg exited with 1")).to_be_visible()
    shoot(operator, "renders")

    viewer = browse()
    viewer.page.on("dialog", lambda dialog: dialog.accept())
    log_in(viewer, "victor@example.com")
    expect(viewer.page.get_by_test_id("admin-role")).to_have_text("viewer · read-only")
    expect(viewer.page.get_by_text("carl@example.com")).to_be_visible()  # the same list
    run_action(viewer.page, carl.id, "Enable")
    expect(viewer.page.get_by_test_id("forbidden-message")).to_contain_text("Your role is viewer")
    assert _user("carl@example.com").is_active is False  # refused: nothing changed
    shoot(viewer, "refused")

    for web in (operator, viewer):
        assert web.page.evaluate("window.__cspViolations") == []
        assert web.problems == []
        assert only_this_origin(web) == []
