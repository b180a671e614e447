"""Payments in GET /api/v1/account/history: amount, currency, status and job."""

from __future__ import annotations

from app.models import PaymentStatus, RenderStatus
from tests.integration.payments.helpers import awaiting_job, checkout, payments_of
from tests.support.stripe_webhooks import deliver, make_event


def test_paid_and_expired_payments_appear_in_the_history_with_their_job(
        pay_client, user_factory, render_job_factory, auth_headers, fake_stripe):
    user = user_factory()
    headers = auth_headers(user)
    job = awaiting_job(render_job_factory, user, price_amount=699, price_currency="eur")
    first = checkout(pay_client, job, headers).json
    expired = dict(fake_stripe.session(first["checkout_session_id"]), status="expired")
    deliver(pay_client, make_event("checkout.session.expired", expired))
    second = checkout(pay_client, job, headers).json
    session = fake_stripe.complete_session(second["checkout_session_id"])
    deliver(pay_client, make_event("checkout.session.completed", session))
    someone_else = user_factory()
    render_job_factory(someone_else, status=RenderStatus.AWAITING_PAYMENT)

    response = pay_client.get("/api/v1/account/history?type=payment", headers=headers)

    assert response.status_code == 200
    body = response.json
    assert body["total"] == 2 and body["page"] == 1
    items = {item["id"]: item for item in body["items"]}
    old, new = payments_of(job)
    assert items[str(new.id)]["type"] == "payment"
    assert items[str(new.id)]["status"] == PaymentStatus.PAID
    assert items[str(new.id)]["amount"] == 699 and items[str(new.id)]["currency"] == "eur"
    assert items[str(new.id)]["render_job_id"] == str(job.id)
    assert items[str(new.id)]["paid_at"] is not None
    assert items[str(old.id)]["status"] == PaymentStatus.EXPIRED
    assert body["items"][0]["id"] == str(new.id)  # newest first

    everything = pay_client.get("/api/v1/account/history", headers=headers).json
    kinds = sorted(item["type"] for item in everything["items"])
    assert kinds == ["payment", "payment", "render"]
