"""Stripe webhook outcomes by event type, as /metrics shows them."""

from __future__ import annotations

from tests.integration.payments.helpers import awaiting_job, checkout
from tests.support.metrics import scrape
from tests.support.stripe_webhooks import deliver, make_event

COMPLETED = "checkout.session.completed"


def webhooks(client, **labels) -> float:
    return scrape(client).value("waveframe_stripe_webhooks_total", **labels)


def test_webhook_outcomes_are_counted_by_type_and_result(pay_client, fake_stripe, user_factory,
                                                          render_job_factory, auth_headers):
    owner = user_factory()
    job = awaiting_job(render_job_factory, owner, audio_duration=2.0)
    session_id = checkout(pay_client, job, auth_headers(owner)).json["checkout_session_id"]
    event = make_event(COMPLETED, fake_stripe.complete_session(session_id))

    assert deliver(pay_client, event).json["outcome"] == "paid"
    assert deliver(pay_client, event).json["outcome"] == "duplicate"
    assert deliver(pay_client, make_event("customer.created", {"id": "cus_1"})).status_code == 200
    assert deliver(pay_client, event, signature="t=1,v1=forged").status_code == 400

    assert webhooks(pay_client, type=COMPLETED, result="paid") == 1
    assert webhooks(pay_client, type=COMPLETED, result="duplicate") == 1
    assert webhooks(pay_client, type="customer.created", result="ignored") == 1
    assert webhooks(pay_client, type="unknown", result="invalid_signature") == 1
