"""Refunds: ``flask payments refund JOB_ID``, the refund webhooks, automatic refunds."""

from __future__ import annotations

import pytest
from rq.job import Job

from app.extensions import db, get_redis
from app.models import PaymentStatus, RenderStatus
from app.payments.tasks import refund_payment_task
from tests.integration.payments.helpers import (
    awaiting_job,
    checkout,
    payments_of,
    queued_rq_job_ids,
    reload,
)
from tests.support.stripe_webhooks import charge_refunded, deliver, make_event, refund_object

REFUNDS = "/v1/refunds"


@pytest.fixture
def pay(pay_client, fake_stripe, auth_headers):
    """Check out and pay for a job through the API and a signed webhook."""

    def _pay(job):
        response = checkout(pay_client, job, auth_headers(job.user))
        assert response.status_code == 200, response.json
        session = fake_stripe.complete_session(response.json["checkout_session_id"])
        paid = deliver(pay_client, make_event("checkout.session.completed", session))
        assert paid.json["outcome"] == "paid"
        return session

    return _pay


@pytest.fixture
def paid_job(pay, user_factory, render_job_factory):
    job = awaiting_job(render_job_factory, user_factory(), price_amount=299)
    session = pay(job)
    return reload(job), session


@pytest.fixture
def cli(stripe_app):
    runner = stripe_app.test_cli_runner()
    return lambda *args: runner.invoke(args=["payments", *args])


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


def test_a_partial_refund_does_not_undo_the_purchase(pay_client, paid_job):
    job, session = paid_job
    charge = charge_refunded(session["payment_intent"], amount=299, full=False)

    response = deliver(pay_client, make_event("charge.refunded", charge))

    assert response.json["outcome"] == "partial_refund_ignored"
    assert [p.status for p in payments_of(job)] == [PaymentStatus.PAID]
    assert reload(job).status == RenderStatus.QUEUED


def test_refunding_a_rendered_job_keeps_its_video(cli, paid_job):
    job, _session = paid_job
    job.status = RenderStatus.COMPLETED
    job.output_key = f"renders/{job.user_id}/{job.id}.mp4"
    db.session.commit()

    result = cli("refund", str(job.id))

    assert result.exit_code == 0
    assert [p.status for p in payments_of(job)] == [PaymentStatus.REFUNDED]
    assert reload(job).status == RenderStatus.COMPLETED


@pytest.mark.parametrize("failure", ["server_error", "rate_limit", "timeout"])
def test_a_stripe_error_fails_the_command_and_records_nothing(cli, paid_job, fake_stripe,
                                                              failure):
    job, _session = paid_job
    fake_stripe.fail_next(failure, path_prefix=REFUNDS)

    result = cli("refund", str(job.id))

    assert result.exit_code == 1
    assert "payment provider" in result.output
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


def test_a_payment_for_a_canceled_job_is_refunded_automatically(
        pay_client, pay, user_factory, render_job_factory, fake_stripe, auth_headers):
    job = awaiting_job(render_job_factory, user_factory())
    response = checkout(pay_client, job, auth_headers(job.user))
    session = fake_stripe.complete_session(response.json["checkout_session_id"])
    job.status = RenderStatus.CANCELED  # the user canceled while the Checkout tab was open
    db.session.commit()

    paid = deliver(pay_client, make_event("checkout.session.completed", session))

    assert paid.json["outcome"] == "paid_refund_scheduled"
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PAID
    refund_job_id = f"refund-{payment.id}"
    assert queued_rq_job_ids() == [refund_job_id]
    rq_job = Job.fetch(refund_job_id, connection=get_redis())
    assert rq_job.func_name == "app.payments.tasks.refund_payment_task"

    assert refund_payment_task(*rq_job.args) == "refunded"  # what the worker runs

    assert [p.status for p in payments_of(job)] == [PaymentStatus.REFUNDED]
    [request] = fake_stripe.requests_to("POST", REFUNDS)
    assert request.idempotency_key == f"waveframe-refund-{payment.id}"
    assert reload(job).status == RenderStatus.CANCELED
