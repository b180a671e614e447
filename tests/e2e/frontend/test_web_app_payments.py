"""Payments on: "Pay and render" goes to Stripe Checkout (the local fake's page, served to the
browser at Stripe's address) and both return links land on the job page."""

from __future__ import annotations

import html
import re

import pytest
from playwright.sync_api import Route, expect

from tests.support.stripe_webhooks import deliver, make_event

pytestmark = pytest.mark.slow


def serve_checkout_pages(page, fake_stripe) -> list[str]:
    """Answer the browser's visits to checkout.stripe.test with a page holding the session's two
    return links, as Stripe's page would after paying or going back. Returns the sessions shown."""
    shown: list[str] = []

    def checkout_page(route: Route) -> None:
        session_id = route.request.url.rsplit("/", 1)[1]
        shown.append(session_id)
        session = fake_stripe.session(session_id)
        success = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        cancel = session["cancel_url"]
        route.fulfill(status=200, content_type="text/html", body=(
            "<!doctype html><title>Checkout</title>"
            f'<a href="{html.escape(success)}">Pay</a> <a href="{html.escape(cancel)}">Back</a>'))

    page.route("https://checkout.stripe.test/**", checkout_page)
    return shown


def test_pay_and_render_through_checkout_then_cancel(browse, paid_server, fake_stripe, clips):
    web = browse(paid_server)
    web.sign_up()
    page = web.page
    sessions = serve_checkout_pages(page, fake_stripe)
    page.get_by_label("Drop a song here, or choose an audio file").set_input_files(str(clips["song"]))
    page.wait_for_selector("#preview-canvas[data-ready]")
    expect(page.locator("#price-line")).to_contain_text("Price: $2.99")  # 3 s at 1080p
    # each format is priced on its own, one payment for all
    page.get_by_label("Portrait 9:16").check()
    expect(page.locator("#price-line")).to_contain_text("Price: $5.98 for 0:03.0 in 2 formats")
    page.get_by_label("Resolution").select_option("720p")
    expect(page.locator("#price-line")).to_contain_text("Price: $3.98")
    page.get_by_label("Resolution").select_option("1080p")
    page.get_by_label("Portrait 9:16").uncheck()
    expect(page.locator("#price-line")).to_contain_text("Price: $2.99")
    web.snap("create-paid")

    page.get_by_role("button", name="Pay and render").click()
    page.wait_for_url("https://checkout.stripe.test/**")
    page.get_by_role("link", name="Back").click()  # changed their mind on Stripe's page
    page.wait_for_url(re.compile(r"/renders/[0-9a-f-]+$"))
    expect(page.locator("#job-notice")).to_contain_text("payment was canceled")
    expect(page.locator("#job-status .badge")).to_have_text("Awaiting payment")

    page.get_by_role("button", name="Pay and render").click()  # from the job page this time
    page.wait_for_url("https://checkout.stripe.test/**")
    assert len(set(sessions)) == 1  # the open session is handed out again
    page.get_by_role("link", name="Pay").click()
    page.wait_for_url(re.compile(r"/renders/[0-9a-f-]+$"))
    expect(page.locator("#job-notice")).to_contain_text("your payment went through")
    web.snap("job-paid-return")

    session = fake_stripe.complete_session(sessions[0])
    paid = deliver(paid_server.app.test_client(), make_event("checkout.session.completed", session))
    assert paid.status_code == 200
    expect(page.locator("#job-status .badge")).to_have_text("Queued", timeout=15_000)

    page.get_by_role("button", name="Cancel the render").click()
    dialog = page.get_by_role("dialog", name="Cancel this render?")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="No, keep it")).to_be_focused()  # the safe choice first
    expect(dialog).to_contain_text("canceling it does not refund the payment")
    web.snap("job-cancel-dialog")
    page.get_by_role("button", name="Yes, cancel the render").click()
    expect(page.locator("#job-status .badge")).to_have_text("Canceled")
    expect(page.get_by_role("button", name="Cancel the render")).to_be_hidden()

    page.goto("/history")
    payment = page.locator("#history-rows tr", has_text="Payment")
    expect(payment.locator(".badge")).to_have_text("Paid")
    expect(payment).to_contain_text("$2.99")
    render = page.locator("#history-rows tr", has_text="Three Seconds")
    expect(render.locator(".badge")).to_have_text("Canceled")
    web.snap("history-payments")
