"""POST /api/v1/payments/webhook: verified, recorded once, applied under concurrency."""

from __future__ import annotations

import json
import threading
import time

import pytest

from app.extensions import db
from app.models import PaymentStatus, RenderStatus
from tests.integration.payments.helpers import (
    awaiting_job,
    checkout,
    payments_of,
    queued_rq_job_ids,
    reload,
    stripe_event_count,
)
from tests.support.stripe_webhooks import deliver, make_event, sign

COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"


@pytest.fixture
def checked_out(pay_client, user_factory, render_job_factory, auth_headers):
    """A job awaiting payment whose user has opened a Checkout Session."""
    owner = user_factory()
    job = awaiting_job(render_job_factory, owner, audio_duration=2.0)
    response = checkout(pay_client, job, auth_headers(owner))
    assert response.status_code == 200
    return job, response.json["checkout_session_id"]


def test_completed_and_paid_marks_the_payment_paid_and_enqueues_the_job_once(
        pay_client, checked_out, fake_stripe):
    job, session_id = checked_out
    session = fake_stripe.complete_session(session_id)

    response = deliver(pay_client, make_event(COMPLETED, session))

    assert response.status_code == 200
    assert response.json["outcome"] == "paid"
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PAID and payment.paid_at is not None
    assert payment.payment_intent_id == session["payment_intent"]
    job = reload(job)
    assert job.status == RenderStatus.QUEUED and job.attempts == 1 and job.paid_at is not None
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]


def test_a_duplicate_delivery_is_acknowledged_and_changes_nothing(
        pay_client, checked_out, fake_stripe):
    job, session_id = checked_out
    event = make_event(COMPLETED, fake_stripe.complete_session(session_id))

    first = deliver(pay_client, event)
    second = deliver(pay_client, event)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json["outcome"], second.json["outcome"]) == ("paid", "duplicate")
    assert stripe_event_count() == 1
    assert reload(job).attempts == 1
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]


def _deliver_at_once(app, events):
    """Deliver each event from its own thread, released together; -> responses' JSON."""
    barrier = threading.Barrier(len(events))
    results: list = [None] * len(events)

    def run(index, event):
        with app.app_context():
            client = app.test_client()
            barrier.wait(timeout=10)
            response = deliver(client, event)
            results[index] = (response.status_code, response.json)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i, e)) for i, e in enumerate(events)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_the_same_event_delivered_twice_at_once_is_applied_once(
        pay_ctx, checked_out, fake_stripe):
    job, session_id = checked_out
    event = make_event(COMPLETED, fake_stripe.complete_session(session_id))

    results = _deliver_at_once(pay_ctx, [event, event])

    assert [status for status, _ in results] == [200, 200]
    assert sorted(body["outcome"] for _, body in results) == ["duplicate", "paid"]
    assert stripe_event_count() == 1
    assert [p.status for p in payments_of(job)] == [PaymentStatus.PAID]
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]


def test_completed_and_async_success_arriving_together_enqueue_one_job(
        pay_ctx, checked_out, fake_stripe):
    job, session_id = checked_out
    session = fake_stripe.complete_session(session_id)

    results = _deliver_at_once(pay_ctx, [make_event(COMPLETED, session),
                                         make_event(ASYNC_SUCCEEDED, session)])

    assert [status for status, _ in results] == [200, 200]
    assert sorted(body["outcome"] for _, body in results) == ["already_paid", "paid"]
    assert stripe_event_count() == 2
    assert [p.status for p in payments_of(job)] == [PaymentStatus.PAID]
    assert reload(job).attempts == 1
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]


def test_async_success_before_completed_gives_one_paid_payment_and_one_job(
        pay_client, checked_out, fake_stripe):
    job, session_id = checked_out
    session = fake_stripe.complete_session(session_id)

    first = deliver(pay_client, make_event(ASYNC_SUCCEEDED, session))
    second = deliver(pay_client, make_event(COMPLETED, session))

    assert (first.json["outcome"], second.json["outcome"]) == ("paid", "already_paid")
    assert [p.status for p in payments_of(job)] == [PaymentStatus.PAID]
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]


def test_a_completed_but_unpaid_session_waits_for_the_async_payment(
        pay_client, checked_out, fake_stripe):
    job, session_id = checked_out
    unpaid = fake_stripe.complete_session(session_id, payment_status="unpaid")

    response = deliver(pay_client, make_event(COMPLETED, unpaid))

    assert response.json["outcome"] == "awaiting_async_payment"
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PENDING
    assert payment.payment_intent_id == unpaid["payment_intent"]
    assert reload(job).status == RenderStatus.AWAITING_PAYMENT
    assert queued_rq_job_ids() == []

    paid = dict(unpaid, payment_status="paid")
    assert deliver(pay_client, make_event(ASYNC_SUCCEEDED, paid)).json["outcome"] == "paid"
    assert reload(job).status == RenderStatus.QUEUED
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]


def test_a_failed_async_payment_leaves_the_job_payable(
        pay_client, checked_out, fake_stripe, auth_headers):
    job, session_id = checked_out
    unpaid = fake_stripe.complete_session(session_id, payment_status="unpaid")

    response = deliver(pay_client, make_event(ASYNC_FAILED, unpaid))

    assert response.json["outcome"] == "failed"
    assert [p.status for p in payments_of(job)] == [PaymentStatus.FAILED]
    job = reload(job)
    assert job.status == RenderStatus.AWAITING_PAYMENT
    again = checkout(pay_client, job, auth_headers(job.user))
    assert again.status_code == 200 and again.json["checkout_session_id"] != session_id
    assert queued_rq_job_ids() == []


def test_an_expired_session_marks_the_payment_expired_and_the_job_stays_payable(
        pay_client, checked_out, fake_stripe, auth_headers):
    job, session_id = checked_out
    session = dict(fake_stripe.session(session_id), status="expired", url=None)

    response = deliver(pay_client, make_event(EXPIRED, session))

    assert response.json["outcome"] == "expired"
    assert [p.status for p in payments_of(job)] == [PaymentStatus.EXPIRED]
    job = reload(job)
    assert job.status == RenderStatus.AWAITING_PAYMENT
    again = checkout(pay_client, job, auth_headers(job.user))
    assert again.status_code == 200 and again.json["created"] is True
    assert [p.status for p in payments_of(job)] == [PaymentStatus.EXPIRED, PaymentStatus.PENDING]


def _tamper(payload: str) -> str:
    return payload.replace('"paid"', '"unpaid"', 1)


@pytest.mark.parametrize("case", ["missing", "garbage", "wrong_secret", "tampered_body",
                                  "stale_timestamp", "no_v1_signature"])
def test_bad_signatures_are_refused_and_change_nothing(pay_client, checked_out, fake_stripe,
                                                       case):
    job, session_id = checked_out
    event = make_event(COMPLETED, fake_stripe.complete_session(session_id))
    payload = json.dumps(event)
    now = int(time.time())
    kwargs = {
        "missing": {"signature": ""},
        "garbage": {"signature": "not-a-signature"},
        "wrong_secret": {"secret": "whsec_someone_else"},
        "tampered_body": {"signature": sign(_tamper(payload)), "body": payload},
        "stale_timestamp": {"timestamp": now - 301},
        "no_v1_signature": {"signature": sign(payload).replace("v1=", "v0=")},
    }[case]

    response = deliver(pay_client, event, **kwargs)

    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_signature"
    assert stripe_event_count() == 0
    assert [p.status for p in payments_of(job)] == [PaymentStatus.PENDING]
    assert reload(job).status == RenderStatus.AWAITING_PAYMENT
    assert queued_rq_job_ids() == []


def test_a_signature_within_the_tolerance_is_accepted(pay_client, checked_out, fake_stripe):
    _job, session_id = checked_out
    event = make_event(COMPLETED, fake_stripe.complete_session(session_id))

    response = deliver(pay_client, event, timestamp=int(time.time()) - 240)

    assert response.status_code == 200 and response.json["outcome"] == "paid"


def test_unknown_event_types_are_acknowledged_and_ignored(pay_client, checked_out):
    job, _session_id = checked_out
    event = make_event("customer.created", {"id": "cus_test_1", "object": "customer"})

    response = deliver(pay_client, event)

    assert response.status_code == 200
    assert response.json == {"received": True, "event_id": event["id"], "outcome": "ignored"}
    assert reload(job).status == RenderStatus.AWAITING_PAYMENT


def test_an_event_for_a_session_we_do_not_know_is_acknowledged(pay_client):
    session = {"id": "cs_test_unknown", "object": "checkout.session", "payment_status": "paid",
               "payment_intent": "pi_test_unknown", "metadata": {}}

    response = deliver(pay_client, make_event(COMPLETED, session))

    assert response.status_code == 200 and response.json["outcome"] == "unknown_payment"


def test_a_database_failure_answers_5xx_and_the_redelivery_is_applied(
        make_stripe_app, pay_client, checked_out, fake_stripe):
    job, session_id = checked_out
    event = make_event(COMPLETED, fake_stripe.complete_session(session_id))
    broken = make_stripe_app(SQLALCHEMY_DATABASE_URI="postgresql://postgres@127.0.0.1:9/none")

    with broken.app_context():
        failed = deliver(broken.test_client(), event)
        db.session.remove()

    assert failed.status_code == 503
    assert failed.json["error"]["code"] == "database_unavailable"
    assert stripe_event_count() == 0
    assert reload(job).status == RenderStatus.AWAITING_PAYMENT
    redelivered = deliver(pay_client, event)
    assert redelivered.status_code == 200 and redelivered.json["outcome"] == "paid"
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]


def test_payments_off_the_webhook_answers_409(client):
    event = make_event(COMPLETED, {"id": "cs_test_x", "object": "checkout.session"})

    response = deliver(client, event)

    assert response.status_code == 409
    assert response.json["error"]["code"] == "payments_disabled"


def test_without_a_webhook_secret_events_are_refused_with_503_so_stripe_retries(
        make_stripe_app, pay_ctx, checked_out, fake_stripe):
    job, session_id = checked_out
    unverifiable = make_stripe_app(STRIPE_WEBHOOK_SECRET="")
    event = make_event(COMPLETED, fake_stripe.complete_session(session_id))

    with unverifiable.app_context():
        response = deliver(unverifiable.test_client(), event)
        db.session.remove()

    assert response.status_code == 503
    assert response.json["error"]["code"] == "webhook_not_configured"
    assert stripe_event_count() == 0
    assert reload(job).status == RenderStatus.AWAITING_PAYMENT
