"""The whole paid path: upload with payments on -> quoted and awaiting payment -> Checkout ->
signed webhook -> queued once. And the quote survives a later price change."""

from __future__ import annotations

import uuid

from app.extensions import db
from app.models import PaymentStatus, RenderJob, RenderStatus
from tests.integration.payments.helpers import payments_of, queued_rq_job_ids, upload
from tests.support.stripe_webhooks import deliver, make_event


def _upload(client, headers, audio: bytes):
    return upload(client, headers, audio, {"template": "bars", "size": "1280x720", "fps": 24})


def test_an_upload_waits_for_payment_and_the_paid_webhook_queues_it_once(
        pay_client, make_stripe_app, user_factory, auth_headers, fake_stripe, clip):
    user = user_factory(email="listener@example.com")
    headers = auth_headers(user)

    created = _upload(pay_client, headers, clip)

    assert created.status_code == 201, created.json
    job_id = created.json["id"]
    assert created.json["status"] == "awaiting_payment"
    assert created.json["price"] == {"amount": 199, "currency": "usd"}  # 720p, under 60 s
    assert queued_rq_job_ids() == []

    # Prices go up after the upload: the user pays what they were quoted.
    repriced = make_stripe_app(PRICE_TABLE={"currency": "usd", "bands": [
        {"max_seconds": 3600, "720": 5000, "1080": 9000}]})
    client = repriced.test_client()
    with repriced.app_context():
        paying = client.post(f"/api/v1/renders/{job_id}/checkout", headers=headers)
    assert paying.status_code == 200, paying.json
    assert paying.json["amount"] == 199
    [request] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == "199"

    session = fake_stripe.complete_session(paying.json["checkout_session_id"])
    event = make_event("checkout.session.completed", session)
    assert deliver(pay_client, event).json["outcome"] == "paid"
    assert deliver(pay_client, event).json["outcome"] == "duplicate"

    status = pay_client.get(f"/api/v1/renders/{job_id}", headers=headers)
    assert status.json["status"] == "queued"
    job = db.session.get(RenderJob, uuid.UUID(job_id))
    assert job.status == RenderStatus.QUEUED and job.attempts == 1
    assert [p.status for p in payments_of(job)] == [PaymentStatus.PAID]
    assert queued_rq_job_ids() == [f"render-{job_id}-1"]
