"""Errors and the network as a person meets them: a 429 says when to try again, losing the
network offers a retry, an expired access token is refreshed once behind the scenes, and a
failed refresh sends the person to the login page with a message. Plus keyboard-only use."""

from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.frontend.browsing import PASSWORD

pytestmark = pytest.mark.slow


def test_too_many_logins_show_when_to_try_again(browse, live_server):
    address = "limited@example.com"
    registered = requests.post(f"{live_server.url}/api/v1/auth/register", timeout=10,
                               json={"email": address, "password": PASSWORD})
    assert registered.status_code == 201
    web = browse()
    for _ in range(10):  # the per-email limit: 10 a minute, counted whatever the outcome
        requests.post(f"{live_server.url}/api/v1/auth/login", json={"email": address, "password": "wrong"},
                      timeout=10)
    page = web.goto("/login")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_response("**/api/v1/auth/login") as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 429
    alert = page.locator("#login-alert")
    expect(alert.locator(".alert-message")).to_have_text(answer.value.json()["error"]["message"])
    expect(alert.locator(".alert-wait")).to_have_text(re.compile(r"You can try again in \d+ s\."))
    expect(alert.get_by_role("button", name="Retry")).to_be_disabled()
    web.snap("login-rate-limited")


def test_losing_the_network_offers_a_retry_that_works_once_it_is_back(browse):
    web = browse()
    address = web.sign_up()
    page = web.goto("/login?reason=logged_out")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    web.context.set_offline(True)
    page.get_by_role("button", name="Log in").click()
    alert = page.locator("#login-alert")
    expect(alert.locator(".alert-message")).to_have_text(re.compile("Could not reach Waveframe"))
    expect(page.locator("#global-alert")).to_contain_text("You are offline")
    web.context.set_offline(False)
    expect(page.locator("#global-alert")).to_be_hidden()
    alert.get_by_role("button", name="Retry").click()
    page.wait_for_url("**/create")


def test_an_expired_access_token_is_refreshed_once_and_a_failed_refresh_returns_to_login(
        browse, live_server, monkeypatch):
    # Long enough that the refreshed token outlives the retried request on a loaded machine.
    lifetime = 3
    monkeypatch.setitem(live_server.app.config, "JWT_ACCESS_TOKEN_EXPIRES", lifetime)
    web = browse()
    web.sign_up()
    page = web.goto("/account")
    expect(page.locator("#account-email")).not_to_be_empty()

    def expire_the_access_token():
        issued = time.time()
        page.wait_for_timeout(lifetime * 1000)
        assert time.time() - issued >= lifetime

    expire_the_access_token()
    refreshes = len(web.api_requests("/api/v1/auth/refresh"))
    page.get_by_label("New email").fill("renamed@example.com")
    page.get_by_label("Current password").first.fill(PASSWORD)
    page.get_by_role("button", name="Change email").click()
    expect(page.locator("#email-done")).to_have_text(re.compile("Your email is now renamed@example.com"))
    assert len(web.api_requests("/api/v1/auth/refresh")) == refreshes + 1  # once, behind the scenes

    expire_the_access_token()
    web.context.clear_cookies()  # the refresh cookie is gone: the next refresh fails
    page.get_by_label("New email").fill("again@example.com")
    page.get_by_label("Current password").first.fill(PASSWORD)
    page.get_by_role("button", name="Change email").click()
    page.wait_for_url("**/login?reason=expired&next=%2Faccount")
    expect(page.locator("#login-reason")).to_have_text("Your session has expired. Log in again to continue.")
    page.get_by_label("Email").fill("renamed@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account")  # back where the person was


def outline_of_focused(page) -> str:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")


def test_keyboard_only(browse, clips):
    web = browse()
    page = web.goto("/")
    page.wait_for_selector(".template-card")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert outline_of_focused(page) != "none" and skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")  # past the navigation
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Sign up and create a video")).to_be_focused()
    assert outline_of_focused(page) != "none"
    page.keyboard.press("Enter")
    page.wait_for_url("**/signup")
    expect(page.get_by_label("Email")).to_be_focused()  # the form's first field, ready to type
    assert outline_of_focused(page) != "none"
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/create")
    # answer the file chooser the keyboard opens (set up first: Playwright intercepts it from then on)
    chosen = []
    page.on("filechooser", lambda chooser: (chosen.append(chooser), chooser.set_files(str(clips["song"]))))
    page.get_by_label("Drop a song here, or choose an audio file").focus()
    assert page.evaluate(
        "() => getComputedStyle(document.querySelector('.dropzone-label')).outlineStyle") != "none"
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Play preview")).to_be_visible()
    assert len(chosen) == 1

    page.get_by_role("button", name="Play preview").focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause preview")).to_be_visible()
    page.keyboard.press("Space")
    end = page.get_by_role("slider", name="End of the video")
    end.focus()
    assert outline_of_focused(page) != "none"
    page.keyboard.press("Shift+ArrowLeft")
    expect(page.get_by_label("End (seconds)")).to_have_value("2.00")
    expect(end).to_have_attribute("aria-valuenow", "2.00")

    page.get_by_role("radio", name="Mirrored bars").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Oscilloscope")).to_be_checked()
    expect(page.get_by_label("Line colour")).to_be_visible()  # that template's own options
