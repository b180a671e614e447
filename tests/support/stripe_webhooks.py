"""Stripe webhook deliveries for tests: events signed with Stripe's real scheme.

The ``Stripe-Signature`` header is ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
keyed with the endpoint's webhook secret -- computed here by hand, not with the SDK, so the
tests check our verification against the documented scheme.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

WEBHOOK_SECRET = "whsec_test_" + "w" * 32


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def make_event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2025-01-01",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": obj},
    }


def deliver(client, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None,
            signature: str | None = None, body: str | None = None):
    """POST the event to the webhook endpoint as Stripe would."""
    payload = body if body is not None else json.dumps(event)
    header = signature if signature is not None else sign(payload, secret=secret,
                                                          timestamp=timestamp)
    headers = {"Stripe-Signature": header} if header else {}
    return client.post("/api/v1/payments/webhook", data=payload, headers=headers,
                       content_type="application/json; charset=utf-8")


def charge_refunded(payment_intent_id: str, *, amount: int, refund_id: str | None = None,
                    full: bool = True) -> dict:
    refund_id = refund_id or f"re_test_{secrets.token_hex(12)}"
    return {"id": f"ch_test_{secrets.token_hex(12)}", "object": "charge",
            "payment_intent": payment_intent_id, "amount": amount,
            "amount_refunded": amount if full else amount // 2, "refunded": full,
            "refunds": {"object": "list", "data": [{"id": refund_id, "object": "refund",
                                                    "status": "succeeded"}]}}


def refund_object(payment_intent_id: str, *, refund_id: str, status: str) -> dict:
    return {"id": refund_id, "object": "refund", "payment_intent": payment_intent_id,
            "status": status}
