"""Billing: Stripe when ``STRIPE_SECRET_KEY`` is set, otherwise payments off.

``init_billing(app)`` picks the adapter once per app; ``get_billing()`` returns it. Nothing
else in the code knows which one is in use.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app

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

log = logging.getLogger(__name__)

__all__ = [
    "Billing", "BillingDeclined", "BillingDisabled", "BillingError", "BillingRateLimited",
    "BillingRejected", "BillingUnavailable", "BillingUnreachable", "CheckoutRequest",
    "CheckoutSession", "InvalidWebhook", "Refund", "build_billing", "get_billing", "init_billing",
]


def build_billing(app: Flask) -> Billing:
    if app.config.get("PAYMENTS_ENABLED"):
        from app.adapters.billing.stripe_billing import StripeBilling
        return StripeBilling.from_config(app.config)
    from app.adapters.billing.disabled import DisabledBilling
    return DisabledBilling()


def init_billing(app: Flask) -> None:
    """Pick the adapter (no network I/O) and say once at start-up when payments are off."""
    billing = build_billing(app)
    app.extensions["billing"] = billing
    if not billing.enabled:
        log.warning("payments_disabled", extra={
            "reason": "STRIPE_SECRET_KEY is not set",
            "effect": "renders are queued without payment; checkout answers 409"})
    else:
        log.info("payments_enabled", extra={"provider": billing.name,
                                            "api_base": app.config.get("STRIPE_API_BASE") or None})


def get_billing() -> Billing:
    return current_app.extensions["billing"]
