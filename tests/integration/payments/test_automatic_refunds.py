"""Payments that bought nothing are refunded by a task the worker runs, through RQ.

A payment for a job that is canceled, already paid through another Checkout Session, or
already rendered is refunded automatically; the job itself is left as it is. The refund task
retries while Stripe is unavailable and gives up at once when Stripe refuses.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from app.adapters import get_storage
from app.extensions import db
from app.models import PaymentStatus, RenderStatus
from app.tasks.queues import DEFAULT
from tests.integration.payments.helpers import (
    awaiting_job,
    checkout,
    payments_of,
    queued_rq_job_ids,
    reload,
    render_completed,
    run_queue,
)
from tests.support.job_runner import JobRunner
from tests.support.stripe_webhooks import charge_refunded, deliver, make_event

REFUNDS = "/v1/refunds"
COMPLETED = "checkout.session.completed"


@pytest.fixture
def worker(pay_ctx):
    """Runs the queued jobs in this process, as the worker would, with payments on."""
    return JobRunner(pay_ctx)


@pytest.fixture
def paid_after_cancel(pay_client, user_factory, render_job_factory, fake_stripe, auth_headers):
    """The user canceled while the Checkout tab was open, then paid: a refund is queued."""
    job = awaiting_job(render_job_factory, user_factory(), price_amount=499)
    response = checkout(pay_client, job, auth_headers(job.user))
    session = fake_stripe.complete_session(response.json["checkout_session_id"])
    assert pay_client.post(f"/api/v1/renders/{job.id}/cancel",
                           headers=auth_headers(job.user)).status_code == 200

    paid = deliver(pay_client, make_event(COMPLETED, session))

    assert paid.json["outcome"] == "paid_refund_scheduled"
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PAID
    assert queued_rq_job_ids() == [f"refund-{payment.id}"]
    return job, payment, session


def test_a_payment_for_a_canceled_job_is_refunded_by_the_worker(
        paid_after_cancel, worker, fake_stripe):
    job, payment, session = paid_after_cancel

    worker.run()

    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_at is not None
    [request] = fake_stripe.requests_to("POST", REFUNDS)
    assert request.params["payment_intent"] == session["payment_intent"]
    assert request.idempotency_key == f"waveframe-refund-{payment.id}"
    assert payment.refund_id in fake_stripe.state.refunds
    assert reload(job).status == RenderStatus.CANCELED
    assert queued_rq_job_ids() == [] and worker.failed_job_ids() == []


def test_a_refund_meeting_a_stripe_outage_succeeds_on_a_later_rq_retry(
        paid_after_cancel, worker, fake_stripe):
    job, payment, _session = paid_after_cancel
    fake_stripe.fail_next("server_error", path_prefix=REFUNDS)

    worker.run()

    assert [p.status for p in payments_of(job)] == [PaymentStatus.PAID]
    [(retry_id, due)] = worker.scheduled().items()
    assert retry_id == f"refund-{payment.id}"
    assert due >= datetime.now(UTC) + timedelta(seconds=20)  # RQ's backoff, not a busy loop
    assert worker.failed_job_ids() == []

    assert worker.release_scheduled() == 1
    worker.run()

    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.REFUNDED
    requests = fake_stripe.requests_to("POST", REFUNDS)
    assert [r.idempotency_key for r in requests] == [f"waveframe-refund-{payment.id}"] * 2
    assert list(fake_stripe.state.refunds) == [payment.refund_id]  # refunded once
    assert worker.scheduled() == {} and worker.failed_job_ids() == []
    assert reload(job).status == RenderStatus.CANCELED


@pytest.mark.parametrize("refusal", ["invalid_request", "refund_failed"])
def test_a_refund_stripe_refuses_fails_for_good_at_once(
        paid_after_cancel, worker, fake_stripe, caplog, refusal):
    job, payment, _session = paid_after_cancel
    if refusal == "refund_failed":
        fake_stripe.set_refund_status("failed")  # Stripe answers with a refund that failed
    else:
        fake_stripe.fail_next(refusal, path_prefix=REFUNDS)  # Stripe refuses the request

    with caplog.at_level(logging.INFO):
        worker.run()

    assert len(fake_stripe.requests_to("POST", REFUNDS)) == 1
    assert worker.scheduled() == {}  # no retry: the same request would be refused again
    assert worker.failed_job_ids() == [f"refund-{payment.id}"]
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PAID and payment.refund_id is None
    assert reload(job).status == RenderStatus.CANCELED
    [failure] = [r for r in caplog.records if r.getMessage() == "automatic_refund_refused"]
    assert failure.levelno == logging.ERROR and failure.payment_id == str(payment.id)


@pytest.fixture
def paid_twice(pay_client, user_factory, render_job_factory, fake_stripe, auth_headers):
    """A job paid through a second session while the first one was still payable."""
    job = awaiting_job(render_job_factory, user_factory(), price_amount=299)
    headers = auth_headers(job.user)
    first = checkout(pay_client, job, headers).json["checkout_session_id"]
    fake_stripe.state.sessions[first]["status"] = "expired"  # replaced on the next checkout
    second = checkout(pay_client, job, headers).json["checkout_session_id"]
    assert second != first
    paid = deliver(pay_client, make_event(COMPLETED, fake_stripe.complete_session(second)))
    assert paid.json["outcome"] == "paid"
    return job, first, second


def _job_state(job):
    job = reload(job)
    return (job.status, job.attempts, job.rq_job_id, job.paid_at, job.queued_at, job.output_key)


def test_a_late_payment_of_a_replaced_session_for_a_queued_job_is_refunded_job_untouched(
        pay_ctx, pay_client, paid_twice, fake_stripe):
    job, first, second = paid_twice
    before = _job_state(job)
    assert before[0] == RenderStatus.QUEUED and queued_rq_job_ids() == [f"render-{job.id}-1"]
    late = fake_stripe.complete_session(first)

    response = deliver(pay_client, make_event(COMPLETED, late))

    assert response.json["outcome"] == "paid_refund_scheduled"
    old, new = payments_of(job)
    assert (old.checkout_session_id, new.checkout_session_id) == (first, second)
    assert sorted(queued_rq_job_ids()) == sorted([f"refund-{old.id}", f"render-{job.id}-1"])
    run_queue(pay_ctx, DEFAULT)  # the refund task, not the render

    old, new = payments_of(job)
    assert (old.status, new.status) == (PaymentStatus.REFUNDED, PaymentStatus.PAID)
    [request] = fake_stripe.requests_to("POST", REFUNDS)
    assert request.params["payment_intent"] == late["payment_intent"]
    assert _job_state(job) == before
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]
    # Stripe's own confirmation of that refund changes nothing more.
    confirmation = charge_refunded(late["payment_intent"], amount=299, refund_id=old.refund_id)
    assert deliver(pay_client, make_event("charge.refunded", confirmation)).json["outcome"] == \
        "already_refunded"
    assert _job_state(job) == before
    assert [p.status for p in payments_of(job)] == [PaymentStatus.REFUNDED, PaymentStatus.PAID]


def test_a_late_payment_for_a_rendered_job_is_refunded_and_the_video_kept(
        pay_ctx, pay_client, paid_twice, fake_stripe, auth_headers, tmp_path):
    job, first, _second = paid_twice
    video_key = render_completed(job, tmp_path)
    before = _job_state(job)

    response = deliver(pay_client, make_event(COMPLETED, fake_stripe.complete_session(first)))

    assert response.json["outcome"] == "paid_refund_scheduled"
    old, _new = payments_of(job)
    assert queued_rq_job_ids() == [f"refund-{old.id}"]
    run_queue(pay_ctx, DEFAULT)  # the refund task, not the render
    assert [p.status for p in payments_of(job)] == [PaymentStatus.REFUNDED, PaymentStatus.PAID]
    assert _job_state(job) == before and before[0] == RenderStatus.COMPLETED
    assert get_storage().exists(video_key)
    download = pay_client.get(f"/api/v1/renders/{job.id}/download", headers=auth_headers(job.user))
    assert download.status_code == 200 and download.json["url"]
    db.session.remove()
