"""Billing: Stripe when payments are on (``STRIPE_SECRET_KEY`` set), otherwise payments off.

``build_billing(config)`` makes the adapter the configuration asks for; ``app.adapters`` keeps
the one chosen for each app. Nothing else in the code knows which one is in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.adapters.billing.base import (
    Billing,
    BillingDeclined,
    BillingDisabled,
    BillingError,
    BillingRateLimited,
    BillingRejected,
    BillingUnavailable,
    BillingUnreachable,
    CheckoutRequest,
    CheckoutSession,
    InvalidWebhook,
    Refund,
)
from app.adapters.billing.disabled import DisabledBilling

__all__ = [
    "Billing", "BillingDeclined", "BillingDisabled", "BillingError", "BillingRateLimited",
    "BillingRejected", "BillingUnavailable", "BillingUnreachable", "CheckoutRequest",
    "CheckoutSession", "DisabledBilling", "InvalidWebhook", "Refund", "build_billing",
]


def build_billing(config: Mapping[str, Any]) -> Billing:
    if config.get("PAYMENTS_ENABLED"):
        # the Stripe SDK is heavy and only needed with payments on
        from app.adapters.billing.stripe_billing import StripeBilling
        return StripeBilling.from_config(config)
    return DisabledBilling()
