"""The order page's data: every system's view of one render, read live, and each outside system
that cannot be reached shown as unavailable (Redis down, the fake Stripe failing on command, the
storage failing, the audit source raising) -- never an exception."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.adapters import get_billing
from app.adapters.billing import CheckoutRequest
from app.admin.availability import Unavailable
from app.admin.order_report import build_order_report
from app.delivery.hooks import on_video_kept
from app.extensions import db
from app.models import PaymentRefund, PaymentStatus, RenderStatus, utcnow
from app.renders.queueing import queue_render
from tests.support import factories
from tests.support.auth import auth_headers


def test_a_finished_render_joins_row_history_rq_job_video_emails_and_audit(
        client, finished_job, fake_sendgrid, jobs):
    t0 = utcnow() - timedelta(minutes=5)
    job = finished_job(created_at=t0, queued_at=t0 + timedelta(seconds=1),
                       completed_at=t0 + timedelta(seconds=65))
    job.started_at = t0 + timedelta(seconds=5)
    db.session.commit()
    on_video_kept(job)
    jobs.run()
    fake_sendgrid.wait_for_delivered(1)
    link = client.get(f"/api/v1/renders/{job.id}/download", headers=auth_headers(job.user)).json
    asked = []

    def audit(target_type, target_id):
        asked.append((target_type, target_id))
        return [{"action": "resend_email", "actor": "op@example.com"}]

    report = build_order_report(job.id, audit_events=audit)

    assert report.unavailable == []
    assert report.job.id == job.id and report.job.status == "completed"
    assert report.job.user_email == job.user.email and report.job.template == "bars"
    assert [(c.state, c.at - t0) for c in report.history] == [
        ("created", timedelta(0)), ("queued", timedelta(seconds=1)),
        ("rendering", timedelta(seconds=5)), ("completed", timedelta(seconds=65))]
    assert report.rq_job is None  # a finished job made by the factory had no RQ attempt
    assert report.stored_video.exists and report.stored_video.size == job.output_size
    assert report.stored_video.content_type == "video/mp4"
    assert report.stored_video.last_link_expires_at.isoformat().startswith(
        link["expires_at"][:19])
    [email] = report.emails
    assert (email.kind, email.status, email.attempts, email.resend, email.provider_status) == (
        "video_ready", "sent", 1, 0, 202)
    assert email.provider_message_id
    assert report.audit_events == [{"action": "resend_email", "actor": "op@example.com"}]
    assert asked == [("render_job", str(job.id))]
    assert report.payments == []


def test_the_rq_job_of_the_current_attempt_is_read_live(app_ctx, render_job_factory, jobs):
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    queue_render(job)

    queued = build_order_report(job.id).rq_job

    assert (queued.job_id, queued.found, queued.status, queued.queue) == (
        f"render-{job.id}-1", True, "queued", "high")
    assert queued.enqueued_at is not None and queued.worker is None
    jobs.run()  # the audio was never stored: the attempt fails, RQ schedules a retry
    while jobs.release_scheduled():
        jobs.run()

    failed = build_order_report(job.id).rq_job

    assert failed.status == "failed" and failed.worker and failed.ended_at is not None
    assert failed.exc_text.splitlines()[-1].startswith(
        "app.adapters.storage.base.StorageNotFound: uploads/")


def test_payments_show_the_stripe_session_and_refunds(stripe_redis_down, fake_stripe):
    job = factories.make_render_job(status=RenderStatus.QUEUED, price_amount=299)
    session = get_billing().create_checkout_session(CheckoutRequest(
        amount=299, currency="usd", product_name="Render", description="A render",
        client_reference_id=str(job.id), metadata={"render_job_id": str(job.id)},
        customer_email=None, success_url="https://w.test/ok", cancel_url="https://w.test/no",
        idempotency_key=f"test-{uuid.uuid4()}"))
    payment = factories.make_payment(job, checkout_session_id=session.id, amount=299,
                                     status=PaymentStatus.PAID, paid_at=utcnow(),
                                     refunded_amount=100)
    db.session.add(PaymentRefund(payment_id=payment.id, amount=100, reason="late",
                                 status="succeeded", stripe_refund_id="re_1"))
    db.session.commit()

    report = build_order_report(str(job.id))

    [line] = report.payments
    assert (line.status, line.refund_state, line.refunded_amount) == (
        "paid", "partially_refunded", 100)
    assert [(r.amount, r.reason, r.status) for r in line.refunds] == [(100, "late", "succeeded")]
    assert (line.stripe.id, line.stripe.status, line.stripe.payment_status,
            line.stripe.amount_total) == (session.id, "open", "unpaid", 299)


def test_each_unreachable_system_is_an_unavailable_section(stripe_redis_down, fake_stripe):
    job = factories.make_render_job(status=RenderStatus.QUEUED, rq_job_id="render-x-1")
    factories.make_payment(job, checkout_session_id="cs_test_unknown", status=PaymentStatus.PAID)
    fake_stripe.fail_next("server_error", path_prefix="/v1/checkout/sessions")

    def broken_audit(target_type, target_id):
        raise ConnectionError("audit store away")

    report = build_order_report(job.id, audit_events=broken_audit)

    assert isinstance(report.rq_job, Unavailable) and report.rq_job.source == "redis"
    [line] = report.payments
    assert isinstance(line.stripe, Unavailable) and line.stripe.source == "stripe"
    assert isinstance(report.audit_events, Unavailable)
    assert sorted(report.unavailable) == ["audit_events", "rq_job", "stripe:cs_test_unknown"]
    assert report.job.status == "queued"  # the database part is there


def test_a_failing_storage_is_unavailable(gcs_app, gcs, finished_job):
    job = finished_job()
    gcs.proxy.fail_next(20, status=503)

    report = build_order_report(job.id)

    assert isinstance(report.stored_video, Unavailable)
    assert report.stored_video.source == "storage"
    gcs.proxy.reset()
    assert build_order_report(job.id).stored_video.exists


@pytest.mark.parametrize("job_id", [uuid.uuid4(), "not-a-uuid"])
def test_an_unknown_job_has_no_report(app_ctx, job_id):
    assert build_order_report(job_id) is None


def test_a_deleted_video_shows_as_not_existing(app_ctx, finished_job):
    from app.delivery.video_actions import delete_stored_video

    job = finished_job()
    delete_stored_video(job.id, actor_id=None)

    report = build_order_report(job.id)

    assert report.stored_video.exists is False
    assert [c.state for c in report.history][-2:] == ["expired", "video_deleted"]
