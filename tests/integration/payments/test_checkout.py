"""POST /api/v1/renders/{id}/checkout against the real SDK and a local fake Stripe."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from app.extensions import db
from app.logs import JsonFormatter
from app.models import PaymentStatus, RenderStatus, utcnow
from tests.integration.payments.helpers import (
    awaiting_job,
    checkout,
    payments_of,
    queued_rq_job_ids,
    reload,
)

SESSIONS = "/v1/checkout/sessions"


@pytest.fixture
def owner(pay_ctx, user_factory):
    return user_factory(email="payer@example.com")


def test_checkout_creates_a_session_for_the_job_and_a_pending_payment(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner, price_amount=699, price_currency="usd",
                       config={"template": "bars", "size": "1920x1080", "fps": 30})

    response = checkout(pay_client, job, auth_headers(owner))

    assert response.status_code == 200, response.json
    body = response.json
    [created] = fake_stripe.requests_to("POST", SESSIONS)
    session = fake_stripe.session(body["checkout_session_id"])
    assert body["checkout_url"] == session["url"]
    assert body["amount"] == 699 and body["currency"] == "usd" and body["status"] == "pending"
    assert body["render_job_id"] == str(job.id) and body["created"] is True
    params = created.params
    assert params["mode"] == "payment"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "699"
    assert params["line_items"][0]["price_data"]["currency"] == "usd"
    assert params["line_items"][0]["quantity"] == "1"
    assert params["client_reference_id"] == str(job.id)
    assert params["metadata"]["render_job_id"] == str(job.id)
    assert params["payment_intent_data"]["metadata"]["render_job_id"] == str(job.id)
    assert params["customer_email"] == "payer@example.com"
    assert params["success_url"].startswith(f"https://waveframe.test/renders/{job.id}?")
    assert "{CHECKOUT_SESSION_ID}" in params["success_url"]
    assert params["cancel_url"].startswith(f"https://waveframe.test/renders/{job.id}?")
    assert created.idempotency_key == f"waveframe-checkout-{job.id}-1"
    assert created.headers["authorization"] == "Bearer sk_test_" + "k" * 24
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PENDING
    assert payment.checkout_session_id == session["id"]
    assert payment.checkout_url == session["url"]
    assert payment.amount == 699 and payment.user_id == owner.id
    assert payment.checkout_expires_at is not None
    assert reload(job).status == RenderStatus.AWAITING_PAYMENT
    assert queued_rq_job_ids() == []


def test_checkout_again_while_open_returns_the_same_session(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner)

    first = checkout(pay_client, job, auth_headers(owner))
    second = checkout(pay_client, job, auth_headers(owner))

    assert first.status_code == second.status_code == 200
    assert second.json["checkout_url"] == first.json["checkout_url"]
    assert second.json["checkout_session_id"] == first.json["checkout_session_id"]
    assert second.json["created"] is False
    assert len(fake_stripe.requests_to("POST", SESSIONS)) == 1
    assert len(payments_of(job)) == 1


def test_a_session_about_to_expire_is_expired_at_stripe_and_replaced(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner)
    first = checkout(pay_client, job, auth_headers(owner)).json
    [payment] = payments_of(job)
    payment.checkout_expires_at = utcnow() + timedelta(minutes=2)
    db.session.commit()

    second = checkout(pay_client, job, auth_headers(owner))

    assert second.status_code == 200
    assert second.json["checkout_session_id"] != first["checkout_session_id"]
    assert fake_stripe.session(first["checkout_session_id"])["status"] == "expired"
    assert len(fake_stripe.requests_to("POST", f"{SESSIONS}/{first['checkout_session_id']}/expire")) == 1
    old, new = payments_of(job)
    assert (old.status, new.status) == (PaymentStatus.EXPIRED, PaymentStatus.PENDING)
    keys = [r.idempotency_key for r in fake_stripe.requests_to("POST", SESSIONS)
            if r.path == SESSIONS]
    assert keys == [f"waveframe-checkout-{job.id}-1", f"waveframe-checkout-{job.id}-2"]


def test_a_session_that_expired_at_stripe_is_replaced(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner)
    first = checkout(pay_client, job, auth_headers(owner)).json
    fake_stripe.state.sessions[first["checkout_session_id"]]["status"] = "expired"

    second = checkout(pay_client, job, auth_headers(owner))

    assert second.status_code == 200
    assert second.json["checkout_session_id"] != first["checkout_session_id"]
    assert [p.status for p in payments_of(job)] == [PaymentStatus.EXPIRED, PaymentStatus.PENDING]


def test_another_users_job_is_not_found_and_anonymous_is_refused(
        pay_client, owner, user_factory, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner)
    stranger = user_factory()

    response = checkout(pay_client, job, auth_headers(stranger))
    anonymous = pay_client.post(f"/api/v1/renders/{job.id}/checkout")

    assert response.status_code == 404
    assert response.json["error"]["code"] == "render_not_found"
    assert anonymous.status_code == 401
    assert fake_stripe.requests_to("POST", SESSIONS) == []
    assert payments_of(job) == []


@pytest.mark.parametrize("status", [RenderStatus.QUEUED, RenderStatus.COMPLETED,
                                    RenderStatus.CANCELED])
def test_a_job_not_awaiting_payment_cannot_be_checked_out(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe, status):
    job = render_job_factory(owner, status=status)

    response = checkout(pay_client, job, auth_headers(owner))

    assert response.status_code == 409
    assert response.json["error"]["code"] == "render_not_payable"
    assert response.json["error"]["details"] == {"status": str(status)}
    assert fake_stripe.requests_to("POST", SESSIONS) == []


@pytest.mark.parametrize("failure, status, code", [
    ("card_error", 502, "payment_declined"),
    ("rate_limit", 503, "payment_provider_busy"),
    ("server_error", 503, "payment_provider_unavailable"),
    ("timeout", 503, "payment_provider_unavailable"),
])
def test_stripe_errors_answer_in_our_shape_and_write_nothing(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe, redis_conn,
        failure, status, code):
    job = awaiting_job(render_job_factory, owner)
    fake_stripe.fail_next(failure)

    response = checkout(pay_client, job, auth_headers(owner))

    assert response.status_code == status
    error = response.json["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "details"} and error["message"]
    assert error["details"]["provider"] == "stripe"
    if status == 503:
        assert int(response.headers["Retry-After"]) > 0
    assert payments_of(job) == []
    assert reload(job).status == RenderStatus.AWAITING_PAYMENT
    assert queued_rq_job_ids() == []


def test_after_a_stripe_error_the_next_attempt_uses_a_new_idempotency_key(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner)
    fake_stripe.fail_next("server_error")

    assert checkout(pay_client, job, auth_headers(owner)).status_code == 503
    retried = checkout(pay_client, job, auth_headers(owner))

    assert retried.status_code == 200
    keys = [r.idempotency_key for r in fake_stripe.requests_to("POST", SESSIONS)]
    assert keys == [f"waveframe-checkout-{job.id}-1", f"waveframe-checkout-{job.id}-1-r1"]
    assert [p.checkout_session_id for p in payments_of(job)] == [retried.json["checkout_session_id"]]


def test_after_a_timeout_the_retry_reuses_the_key_and_stripe_replays_the_same_session(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner)
    fake_stripe.fail_next("timeout")  # Stripe creates the session but the answer never arrives

    assert checkout(pay_client, job, auth_headers(owner)).status_code == 503
    assert payments_of(job) == []
    retried = checkout(pay_client, job, auth_headers(owner))

    assert retried.status_code == 200
    requests = fake_stripe.requests_to("POST", SESSIONS)
    assert [r.idempotency_key for r in requests] == [f"waveframe-checkout-{job.id}-1"] * 2
    assert list(fake_stripe.state.sessions) == [retried.json["checkout_session_id"]]
    assert len(payments_of(job)) == 1


def test_sdk_retries_of_one_attempt_carry_the_same_idempotency_key(
        make_stripe_app, app_ctx, user_factory, render_job_factory, auth_headers, fake_stripe):
    retrying_app = make_stripe_app(STRIPE_MAX_NETWORK_RETRIES=1)
    with retrying_app.app_context():
        owner = user_factory()
        job = awaiting_job(render_job_factory, owner)
        fake_stripe.fail_next("server_error")

        response = checkout(retrying_app.test_client(), job, auth_headers(owner))

        assert response.status_code == 200
        keys = [r.idempotency_key for r in fake_stripe.requests_to("POST", SESSIONS)]
        assert keys == [f"waveframe-checkout-{job.id}-1"] * 2
        assert len(payments_of(job)) == 1
        db.session.remove()


def test_two_checkouts_at_once_get_one_session(
        pay_ctx, owner, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner)
    headers = auth_headers(owner)
    barrier = threading.Barrier(2)
    results = []

    def run():
        with pay_ctx.app_context():
            client = pay_ctx.test_client()
            barrier.wait(timeout=10)
            response = checkout(client, job, headers)
            results.append((response.status_code, response.json["checkout_session_id"]))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [status for status, _ in results] == [200, 200]
    assert results[0][1] == results[1][1]
    assert len(fake_stripe.requests_to("POST", SESSIONS)) == 1
    assert len(payments_of(job)) == 1


def test_logs_carry_no_checkout_url_or_stripe_key(
        pay_client, owner, render_job_factory, auth_headers, caplog):
    job = awaiting_job(render_job_factory, owner)

    with caplog.at_level(logging.DEBUG):
        body = checkout(pay_client, job, auth_headers(owner)).json

    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "checkout_session_created" in logged
    assert body["checkout_url"] not in logged
    assert "sk_test_" not in logged and "whsec_" not in logged


def test_when_stripe_cannot_be_asked_the_stored_open_session_is_handed_out(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner)
    first = checkout(pay_client, job, auth_headers(owner)).json
    fake_stripe.fail_next("server_error", path_prefix=f"{SESSIONS}/")

    again = checkout(pay_client, job, auth_headers(owner))

    assert again.status_code == 200
    assert again.json["checkout_session_id"] == first["checkout_session_id"]
    assert len(payments_of(job)) == 1


def test_a_session_paid_before_its_webhook_arrived_is_fulfilled_on_the_next_checkout(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner)
    first = checkout(pay_client, job, auth_headers(owner)).json
    session = fake_stripe.complete_session(first["checkout_session_id"])

    again = checkout(pay_client, job, auth_headers(owner))

    assert again.status_code == 409
    assert again.json["error"]["code"] == "render_already_paid"
    [payment] = payments_of(job)
    assert payment.status == PaymentStatus.PAID
    assert payment.payment_intent_id == session["payment_intent"]
    assert reload(job).status == RenderStatus.QUEUED
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]
    assert len(fake_stripe.requests_to("POST", SESSIONS)) == 1


def test_a_session_whose_delayed_payment_is_processing_is_not_replaced(
        pay_client, owner, render_job_factory, auth_headers, fake_stripe):
    job = awaiting_job(render_job_factory, owner)
    first = checkout(pay_client, job, auth_headers(owner)).json
    fake_stripe.complete_session(first["checkout_session_id"], payment_status="unpaid")

    again = checkout(pay_client, job, auth_headers(owner))

    assert again.status_code == 409
    assert again.json["error"]["code"] == "payment_processing"
    assert [p.status for p in payments_of(job)] == [PaymentStatus.PENDING]
    assert reload(job).status == RenderStatus.AWAITING_PAYMENT
    assert len(fake_stripe.requests_to("POST", SESSIONS)) == 1


def test_the_endpoints_are_in_the_openapi_document(pay_client):
    paths = pay_client.get("/api/openapi.json").json["paths"]

    assert "post" in paths["/api/v1/renders/{job_id}/checkout"]
    assert "post" in paths["/api/v1/payments/webhook"]
