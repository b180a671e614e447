"""Stripe failures become our errors: 502 for refusals, 503 for outages, nothing leaked."""

from __future__ import annotations

import pytest
import stripe

from app.adapters.billing import (
    BillingDeclined,
    BillingRateLimited,
    BillingRejected,
    BillingUnavailable,
    BillingUnreachable,
)
from app.adapters.billing.stripe_billing import translate_error
from app.payments.errors import provider_error


@pytest.mark.parametrize("exc, expected, outcome_known", [
    (stripe.CardError("Your card was declined.", None, "card_declined", http_status=402),
     BillingDeclined, True),
    (stripe.RateLimitError("Too many requests", http_status=429), BillingRateLimited, True),
    (stripe.APIError("Server error", http_status=500), BillingUnavailable, True),
    (stripe.APIConnectionError("Request timed out"), BillingUnreachable, False),
    (stripe.AuthenticationError("Invalid API Key provided: sk_test_****abcd", http_status=401),
     BillingRejected, True),
    (stripe.InvalidRequestError("No such session", "id", http_status=404),
     BillingRejected, True),
])
def test_sdk_errors_map_to_billing_errors(exc, expected, outcome_known):
    error = translate_error(exc)

    assert type(error) is expected
    assert error.outcome_known is outcome_known
    assert "sk_test" not in error.message


@pytest.mark.parametrize("error, status, code", [
    (BillingDeclined("Your card was declined."), 502, "payment_declined"),
    (BillingRejected("refused"), 502, "payment_provider_error"),
    (BillingRateLimited("slow down", retry_after=7), 503, "payment_provider_busy"),
    (BillingUnavailable("down"), 503, "payment_provider_unavailable"),
    (BillingUnreachable("timeout"), 503, "payment_provider_unavailable"),
])
def test_billing_errors_become_api_errors(error, status, code):
    api_error = provider_error(error, "start the checkout")

    assert (api_error.status, api_error.code) == (status, code)
    assert "start the checkout" in api_error.message
    assert api_error.to_dict()["error"]["details"]["provider"] == "stripe"
    if status == 503:
        assert int(api_error.headers["Retry-After"]) > 0
    if isinstance(error, BillingRateLimited):
        assert api_error.headers["Retry-After"] == "7"
