"""The dashboard, the order page and the console's actions in Chromium against a live server with
payments on (the local fake Stripe): an operator sees the seeded numbers, requeues a job that
really failed in RQ, refunds part of a payment; a viewer sees the same pages and is refused."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
import redis
from playwright.sync_api import expect

from app.accounts.service import create_admin
from app.adapters import get_billing
from app.adapters.billing import CheckoutRequest
from app.extensions import db
from app.models import AuditEvent, PaymentStatus, RenderJob, RenderStatus, utcnow
from app.renders.queueing import queue_render
from app.tasks.queues import get_queue
from tests.e2e.frontend.conftest import LiveServer
from tests.support import dashboard_seed, factories
from tests.support.job_runner import JobRunner
from tests.support.private_redis import PrivateRedis

pytestmark = pytest.mark.slow

PASSWORD = "violet-harbour-lantern-42"
MINUTE = timedelta(minutes=1)
SIZES = (("1280", {"width": 1280, "height": 860}), ("390", {"width": 390, "height": 844}))


def shoot(web, name: str) -> None:
    for label, size in SIZES:
        web.page.set_viewport_size(size)
        web.page.screenshot(path=str(web.artifacts / f"admin-{name}-{label}.png"), full_page=True)
    web.page.set_viewport_size(SIZES[0][1])


def log_in(web, email: str) -> None:
    page = web.goto("/admin/")
    page.wait_for_url(lambda url: "/admin/login?next=" in url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/admin"))


def expect_seeded_numbers(page) -> None:
    for name, value in dashboard_seed.EXPECTED.items():
        expect(page.get_by_test_id(name)).to_have_text(value)
    for template, (renders, median, p95) in dashboard_seed.SPEED.items():
        expect(page.get_by_test_id(f"speed-{template}").locator("td")).to_have_text(
            [template, renders, median, p95])
    for currency, values in dashboard_seed.MONEY.items():
        expect(page.get_by_test_id(f"money-{currency}").locator("td")).to_have_text(
            [currency.upper(), *values])


def failed_render(app) -> RenderJob:
    """A render whose RQ job really failed (its audio was never stored) and sits in the registry."""
    job = factories.make_render_job(status=RenderStatus.AWAITING_PAYMENT)
    queue_render(job)
    runner = JobRunner(app)
    runner.run()
    while runner.release_scheduled():
        runner.run()
    db.session.expire_all()
    job = db.session.get(RenderJob, job.id)
    assert job.status == RenderStatus.FAILED and runner.failed_job_ids() == [job.rq_job_id]
    return job


def paid_payment(app, fake_stripe) -> SimpleNamespace:
    """A paid 2.99 USD payment whose Checkout Session the fake Stripe knows (its ids)."""
    with app.app_context():
        now = utcnow()
        job = factories.make_render_job(
            status=RenderStatus.COMPLETED, price_amount=299, created_at=now - 10 * MINUTE,
            paid_at=now - 9 * MINUTE, queued_at=now - 9 * MINUTE, started_at=now - 8 * MINUTE,
            completed_at=now - 7 * MINUTE)
        session = get_billing().create_checkout_session(CheckoutRequest(
            amount=299, currency="usd", product_name="Render", description="A render",
            client_reference_id=str(job.id), metadata={"render_job_id": str(job.id)},
            customer_email=None, success_url="https://w.test/ok", cancel_url="https://w.test/no",
            idempotency_key=f"test-{uuid.uuid4()}"))
        fake_stripe.complete_session(session.id)
        payment = factories.make_payment(job, checkout_session_id=session.id, amount=299,
                                         status=PaymentStatus.PAID, paid_at=now - 9 * MINUTE,
                                         payment_intent_id=fake_stripe.session(session.id)[
                                             "payment_intent"])
        return SimpleNamespace(id=payment.id, render_job_id=payment.render_job_id,
                               payment_intent_id=payment.payment_intent_id)


def test_operator_requeues_and_refunds_and_a_viewer_is_refused(browse, paid_server, fake_stripe,
                                                                app_ctx):
    create_admin("olga@example.com", PASSWORD, "operator")
    create_admin("victor@example.com", PASSWORD, "viewer")
    dashboard_seed.seed(utcnow())

    operator = browse(paid_server)
    operator.page.on("dialog", lambda dialog: dialog.accept())
    log_in(operator, "olga@example.com")
    page = operator.page
    expect_seeded_numbers(page)
    expect(page.locator("[data-testid=hourly] svg")).to_be_visible()
    shoot(operator, "dashboard")

    # a job that failed in RQ is requeued from the dashboard and reaches the queue
    job = failed_render(paid_server.app)
    failed_id = job.rq_job_id
    page.reload()
    expect(page.get_by_test_id("failed-count")).to_have_text("1")
    shoot(operator, "dashboard-failed")
    page.get_by_test_id(f"failed-{failed_id}").get_by_role("button", name="Requeue").click()
    expect(page.get_by_text(f"Requeued {failed_id}")).to_be_visible()
    expect(page.get_by_test_id("failed-count")).to_have_text("0")
    db.session.expire_all()
    job = db.session.get(RenderJob, job.id)
    assert job.status == RenderStatus.QUEUED and job.rq_job_id != failed_id
    assert job.rq_job_id in get_queue(job.priority).get_job_ids()

    # a partial refund from the order page reaches the fake Stripe and is audited
    payment = paid_payment(paid_server.app, fake_stripe)
    page.goto("/admin/payments/?flt0_0=paid")
    page.get_by_role("link", name=str(payment.render_job_id)[:8]).click()
    expect(page.get_by_test_id("payment-state")).to_have_text("paid")
    page.get_by_role("link", name="Refund…").click()
    page.get_by_label("Amount in cents (empty: all that is left)").fill("100")
    page.get_by_label("Reason").fill("The last second of the video is black")
    shoot(operator, "refund-form")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_test_id("payment-state")).to_have_text("partially refunded")
    expect(page.get_by_test_id("payment-refunded")).to_have_text("1.00 USD")
    expect(page.get_by_test_id("order-audit")).to_contain_text("payment.refund")
    [refund] = fake_stripe.requests_to("POST", "/v1/refunds")
    assert refund.params["amount"] == "100"
    assert refund.params["payment_intent"] == payment.payment_intent_id
    shoot(operator, "order")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("cell", name="payment.refund")).to_be_visible()
    page.get_by_role("link", name="Payments").click()
    row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name=str(payment.render_job_id)[:8]))
    expect(row.get_by_test_id("refund-state")).to_have_text("partially refunded")

    # a viewer sees the same pages; every action is refused and changes nothing
    viewer = browse(paid_server)
    log_in(viewer, "victor@example.com")
    vpage = viewer.page
    expect(vpage.get_by_test_id("status-completed")).to_have_text("3")  # the seeded 2 + the paid one
    expect(vpage.get_by_test_id("money-eur").locator("td")).to_have_text(
        ["EUR", *dashboard_seed.MONEY["eur"]])
    expect(vpage.get_by_role("button", name="Requeue")).to_have_count(0)
    vpage.goto(f"/admin/orders/{payment.render_job_id}")
    expect(vpage.get_by_test_id("payment-state")).to_have_text("partially refunded")
    expect(vpage.get_by_role("link", name="Refund…")).to_have_count(0)
    expect(vpage.get_by_test_id("order-actions")).to_have_count(0)
    token = vpage.locator("input[name=csrf_token]").first.get_attribute("value")
    for path in (f"/admin/payments/{payment.id}/refund", f"/admin/renders/{job.id}/requeue",
                 f"/admin/renders/{payment.render_job_id}/delete-video",
                 f"/admin/renders/{payment.render_job_id}/resend-email",
                 f"/admin/failed/{job.rq_job_id}/requeue"):
        answer = vpage.request.post(path, form={"csrf_token": token, "amount": "1",
                                                "reason": "viewer"})
        assert answer.status == 403, path
    vpage.goto(f"/admin/payments/{payment.id}/refund")
    expect(vpage.get_by_test_id("forbidden-message")).to_contain_text("Your role is viewer")
    assert len(fake_stripe.requests_to("POST", "/v1/refunds")) == 1
    assert AuditEvent.query.filter_by(actor_email="victor@example.com").filter(
        AuditEvent.action != "login").count() == 0

    for web in (operator, viewer):
        assert web.page.evaluate("window.__cspViolations") == []
        assert web.problems == []


def test_the_order_page_says_unavailable_when_the_queue_cannot_be_read(
        browse, make_app, app, app_ctx, tmp_path):
    """A server on a Redis of its own, which then refuses every key but the console's sessions:
    the RQ section of the order page and the dashboard's queue sections say "unavailable"."""
    private = PrivateRedis(tmp_path / "redis").start()
    own = make_app(REDIS_URL=private.url,
                   RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"])
    conn = redis.Redis.from_url(private.url)
    try:
        with LiveServer(own) as server:
            create_admin("olga@example.com", PASSWORD, "operator")
            job = factories.make_render_job(status=RenderStatus.FAILED, attempts=1,
                                            rq_job_id="render-gone-1", failed_at=utcnow(),
                                            error_code="render_failed",
                                            error_message="ffmpeg exited with 1")
            web = browse(server)
            log_in(web, "olga@example.com")
            conn.execute_command("ACL", "SETUSER", "default", "resetkeys",
                                 f"~{own.config['REDIS_KEY_PREFIX']}admin-session:*")
            page = web.goto(f"/admin/orders/{job.id}")
            expect(page.get_by_test_id("order-unavailable")).to_contain_text(
                "Unavailable now: the queue (RQ).")
            expect(page.get_by_test_id("order-rq")).to_contain_text("Unavailable")
            expect(page.get_by_test_id("order-rq")).to_contain_text("Redis cannot be reached")
            expect(page.get_by_test_id("order-status")).to_contain_text("failed")
            shoot(web, "order-unavailable")
            page = web.goto("/admin/")
            expect(page.get_by_test_id("queue-depths")).to_contain_text("Unavailable")
            expect(page.get_by_test_id("failures")).to_contain_text("Unavailable")
            expect(page.get_by_test_id("status-failed")).to_have_text("1")
            assert web.problems == []
    finally:
        conn.close()
        private.stop()
