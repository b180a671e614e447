"""Refunds: ``flask payments refund JOB_ID`` and the refund webhooks (automatic refunds:
test_automatic_refunds.py)."""

from __future__ import annotations

import pytest

from app.adapters import get_storage
from app.models import PaymentStatus, RenderStatus
from tests.integration.payments.helpers import (
    awaiting_job,
    payments_of,
    queued_rq_job_ids,
    reload,
    render_completed,
)
from tests.support.stripe_webhooks import charge_refunded, deliver, make_event, refund_object

REFUNDS = "/v1/refunds"


def test_refund_command_refunds_through_stripe_and_cancels_a_job_not_yet_rendered(
        cli, paid_job, fake_stripe):
    job, session = paid_job
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]

    result = cli("refund", str(job.id))

    assert result.exit_code == 0, result.output
    [payment] = payments_of(job)
    assert "refunded 2.99 USD" in result.output and payment.refund_id in result.output
    [request] = fake_stripe.requests_to("POST", REFUNDS)
    assert request.params["payment_intent"] == session["payment_intent"]
    assert request.idempotency_key == f"waveframe-refund-{payment.id}"
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_at is not None
    assert payment.refund_id in fake_stripe.state.refunds
    assert reload(job).status == RenderStatus.CANCELED
    assert queued_rq_job_ids() == []


def test_refunding_twice_never_calls_stripe_twice(cli, paid_job, fake_stripe):
    job, _session = paid_job
    assert cli("refund", str(job.id)).exit_code == 0

    again = cli("refund", str(job.id))

    assert again.exit_code == 0
    assert "already refunded" in again.output
    assert len(fake_stripe.requests_to("POST", REFUNDS)) == 1


def test_the_webhook_confirming_a_refund_we_recorded_changes_nothing_more(
        cli, pay_client, paid_job, fake_stripe):
    job, session = paid_job
    cli("refund", str(job.id))
    [payment] = payments_of(job)
    charge = charge_refunded(session["payment_intent"], amount=299, refund_id=payment.refund_id)

    response = deliver(pay_client, make_event("charge.refunded", charge))

    assert response.status_code == 200 and response.json["outcome"] == "already_refunded"
    assert [p.status for p in payments_of(job)] == [PaymentStatus.REFUNDED]


def test_a_pending_refund_is_recorded_and_the_webhook_confirms_it(
        cli, pay_client, paid_job, fake_stripe):
    job, session = paid_job
    fake_stripe.set_refund_status("pending")

    result = cli("refund", str(job.id))

    assert result.exit_code == 0 and "pending" in result.output
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PAID and payment.refund_id
    assert reload(job).status == RenderStatus.QUEUED
    refund = refund_object(session["payment_intent"], refund_id=payment.refund_id,
                           status="succeeded")

    response = deliver(pay_client, make_event("refund.updated", refund))

    assert response.json["outcome"] == "refunded"
    assert [p.status for p in payments_of(job)] == [PaymentStatus.REFUNDED]
    assert reload(job).status == RenderStatus.CANCELED
    assert queued_rq_job_ids() == []


def test_a_failed_refund_reported_by_the_webhook_leaves_the_payment_paid(
        cli, pay_client, paid_job, fake_stripe):
    job, session = paid_job
    fake_stripe.set_refund_status("pending")
    cli("refund", str(job.id))
    [payment] = payments_of(job)
    refund = refund_object(session["payment_intent"], refund_id=payment.refund_id,
                           status="failed")

    response = deliver(pay_client, make_event("refund.failed", refund))

    assert response.json["outcome"] == "refund_failed"
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PAID and payment.refund_id is None
    assert reload(job).status == RenderStatus.QUEUED


def test_a_refund_made_in_the_stripe_dashboard_is_applied_by_the_webhook(
        pay_client, paid_job):
    job, session = paid_job
    charge = charge_refunded(session["payment_intent"], amount=299)

    response = deliver(pay_client, make_event("charge.refunded", charge))

    assert response.json["outcome"] == "refunded"
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refund_id == charge["refunds"]["data"][0]["id"]
    assert reload(job).status == RenderStatus.CANCELED


def test_a_partial_refund_does_not_undo_the_purchase_but_shows_as_partial(pay_client, paid_job):
    job, session = paid_job
    charge = charge_refunded(session["payment_intent"], amount=299, full=False)

    response = deliver(pay_client, make_event("charge.refunded", charge))

    assert response.json["outcome"] == "partially_refunded"
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PAID and payment.refund_state == "partially_refunded"
    assert payment.refunded_amount == 149
    assert [(r.amount, r.status, r.actor_id) for r in payment.refunds] == [(149, "succeeded", None)]
    assert reload(job).status == RenderStatus.QUEUED


def test_refunding_a_rendered_job_keeps_its_video(cli, paid_job, pay_client, auth_headers,
                                                  tmp_path):
    job, _session = paid_job
    video_key = render_completed(job, tmp_path)

    result = cli("refund", str(job.id))

    assert result.exit_code == 0, result.output
    assert [p.status for p in payments_of(job)] == [PaymentStatus.REFUNDED]
    job = reload(job)
    assert job.status == RenderStatus.COMPLETED and job.output_key == video_key
    assert get_storage().exists(video_key)
    download = pay_client.get(f"/api/v1/renders/{job.id}/download", headers=auth_headers(job.user))
    assert download.status_code == 200 and download.json["url"]


@pytest.mark.parametrize("failure, says", [
    ("server_error", "payment provider is not answering"),
    ("rate_limit", "payment provider is busy"),
    ("timeout", "payment provider is not answering"),
    ("invalid_request", "payment provider refused"),     # Stripe refuses at once
    ("refund_failed", "could not refund this payment"),  # a refund born failed
])
def test_a_stripe_error_fails_the_command_and_records_nothing(cli, paid_job, fake_stripe,
                                                              failure, says):
    job, _session = paid_job
    if failure == "refund_failed":
        fake_stripe.set_refund_status("failed")
    else:
        fake_stripe.fail_next(failure, path_prefix=REFUNDS)

    result = cli("refund", str(job.id))

    assert result.exit_code == 1
    assert says in result.output
    assert len(fake_stripe.requests_to("POST", REFUNDS)) == 1
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PAID and payment.refund_id is None
    assert reload(job).status == RenderStatus.QUEUED


def test_refund_command_refuses_a_job_without_a_paid_payment(cli, pay_ctx, user_factory,
                                                             render_job_factory, fake_stripe):
    job = awaiting_job(render_job_factory, user_factory())

    result = cli("refund", str(job.id))

    assert result.exit_code == 1 and "no paid payment" in result.output
    assert fake_stripe.requests_to("POST", REFUNDS) == []


def test_refund_command_with_payments_off_says_so(runner, render_job_factory):
    job = render_job_factory()

    result = runner.invoke(args=["payments", "refund", str(job.id)])

    assert result.exit_code == 1 and "Payments are turned off" in result.output
