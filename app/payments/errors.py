"""The API errors of payments: payments off, and a Stripe call that failed."""

from __future__ import annotations

from app.adapters.billing import (
    BillingDeclined,
    BillingError,
    BillingRateLimited,
    BillingUnavailable,
)
from app.errors import ApiError, Conflict, ServiceUnavailable, UpstreamError


def payments_disabled_error() -> Conflict:
    return Conflict("Payments are turned off on this server (no Stripe key is configured): "
                    "renders are queued as soon as they are created, with nothing to pay.",
                    code="payments_disabled")


def provider_error(exc: BillingError, action: str) -> ApiError:
    """Our error for a failed Stripe call; ``action`` says what we were doing."""
    details = {"provider": "stripe", "provider_code": exc.provider_code}
    if isinstance(exc, BillingRateLimited):
        retry_after = exc.retry_after or 5
        return ServiceUnavailable(
            f"The payment provider is busy and could not {action}; try again in a few seconds.",
            code="payment_provider_busy", details=details,
            headers={"Retry-After": str(retry_after)})
    if isinstance(exc, BillingUnavailable):
        return ServiceUnavailable(
            f"The payment provider is not answering, so we could not {action}; "
            "nothing was charged. Try again in a minute.",
            code="payment_provider_unavailable", details=details, headers={"Retry-After": "30"})
    if isinstance(exc, BillingDeclined):
        return UpstreamError(f"The payment provider declined to {action}: {exc.message}",
                             code="payment_declined", details=details)
    return UpstreamError(f"The payment provider refused to {action}; nothing was charged. "
                         "Try again later or contact support.",
                         code="payment_provider_error", details=details)
