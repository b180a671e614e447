"""Webhook verification by the Stripe adapter (stripe.Webhook.construct_event, 300 s)."""

from __future__ import annotations

import json
import time

import pytest

from app.adapters.billing import InvalidWebhook
from app.adapters.billing.stripe_billing import StripeBilling
from tests.support.stripe_webhooks import WEBHOOK_SECRET, make_event, sign


@pytest.fixture
def billing():
    # Building the client does no network I/O; only parse_webhook is used here.
    return StripeBilling(secret_key="sk_test_unit", webhook_secret=WEBHOOK_SECRET,
                         api_base="http://127.0.0.1:9")


@pytest.fixture
def payload():
    return json.dumps(make_event("checkout.session.completed",
                                 {"id": "cs_test_1", "object": "checkout.session"}))


def test_a_correctly_signed_event_is_returned_as_plain_data(billing, payload):
    event = billing.parse_webhook(payload.encode(), sign(payload))

    assert type(event) is dict and type(event["data"]["object"]) is dict
    assert event["type"] == "checkout.session.completed"
    assert event["data"]["object"]["id"] == "cs_test_1"


def test_one_valid_signature_among_several_is_enough(billing, payload):
    """During a secret rotation Stripe sends one v1 per active secret."""
    other = sign(payload, secret="whsec_old").split(",")[1]
    header = sign(payload) + "," + other

    assert billing.parse_webhook(payload.encode(), header)["id"] == json.loads(payload)["id"]


@pytest.mark.parametrize("header", [None, "", "t=abc", "v1=deadbeef", "t=1,v1="])
def test_missing_or_malformed_headers_are_refused(billing, payload, header):
    with pytest.raises(InvalidWebhook):
        billing.parse_webhook(payload.encode(), header)


def test_a_signature_with_another_secret_is_refused(billing, payload):
    with pytest.raises(InvalidWebhook):
        billing.parse_webhook(payload.encode(), sign(payload, secret="whsec_other"))


def test_a_body_changed_after_signing_is_refused(billing, payload):
    header = sign(payload)
    tampered = payload.replace("cs_test_1", "cs_test_2")

    with pytest.raises(InvalidWebhook):
        billing.parse_webhook(tampered.encode(), header)


def test_timestamps_older_than_300_seconds_are_refused(billing, payload):
    now = int(time.time())
    event = billing.parse_webhook(payload.encode(), sign(payload, timestamp=now - 280))
    assert event["id"] == json.loads(payload)["id"]

    with pytest.raises(InvalidWebhook):
        billing.parse_webhook(payload.encode(), sign(payload, timestamp=now - 310))


@pytest.mark.parametrize("body", ["not json", "[]", json.dumps({"id": "evt_1"}),
                                  json.dumps({"id": "evt_1", "type": "x", "data": {}})])
def test_a_signed_body_that_is_not_an_event_is_refused(billing, body):
    with pytest.raises(InvalidWebhook):
        billing.parse_webhook(body.encode(), sign(body))
