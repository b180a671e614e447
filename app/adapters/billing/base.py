"""The billing interface every adapter implements, and the errors it raises.

Services see plain values (``CheckoutSession``, ``Refund``, event dicts) and these errors,
never a ``stripe`` type: the Stripe adapter is the only module that imports ``stripe``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class BillingError(Exception):
    """The payment provider did not do what was asked.

    ``outcome_known`` is False when the request may have been carried out anyway (timeout,
    dropped connection): a retry must then reuse the same idempotency key.
    """

    outcome_known = True

    def __init__(self, message: str, *, provider_code: str | None = None,
                 http_status: int | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.provider_code = provider_code
        self.http_status = http_status
        self.retry_after = retry_after


class BillingDisabled(BillingError):
    """Payments are off (no Stripe key configured)."""


class BillingDeclined(BillingError):
    """The provider refused the request for a payment reason (card error, HTTP 402)."""


class BillingRejected(BillingError):
    """The provider refused the request as invalid (HTTP 4xx other than 402/429)."""


class BillingRateLimited(BillingError):
    """The provider asked us to slow down (HTTP 429)."""


class BillingUnavailable(BillingError):
    """The provider failed (HTTP 5xx)."""


class BillingUnreachable(BillingUnavailable):
    """No answer (timeout, connection refused or dropped): the outcome is unknown."""

    outcome_known = False


class InvalidWebhook(Exception):
    """A webhook delivery whose signature, timestamp or body does not verify."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    expires_at: datetime | None = None
    payment_intent_id: str | None = None
    amount_total: int | None = None
    currency: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Refund:
    id: str
    status: str  # pending | requires_action | succeeded | failed | canceled
    payment_intent_id: str | None = None
    amount: int | None = None


@dataclass(frozen=True)
class CheckoutRequest:
    """What a Checkout Session for one render is created with."""

    amount: int
    currency: str
    product_name: str
    description: str
    client_reference_id: str
    metadata: dict[str, str]
    customer_email: str | None
    success_url: str
    cancel_url: str
    idempotency_key: str


class Billing(abc.ABC):
    name: str
    enabled: bool = True
    webhooks_configured: bool = True  # False: a webhook cannot be verified (no secret)

    @abc.abstractmethod
    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        """Create a one-off payment Checkout Session (mode ``payment``)."""

    @abc.abstractmethod
    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        """The session as the provider sees it now."""

    @abc.abstractmethod
    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        """Close an open session so it can no longer be paid."""

    @abc.abstractmethod
    def create_refund(self, *, payment_intent_id: str, idempotency_key: str,
                      metadata: dict[str, str], amount: int | None = None) -> Refund:
        """Refund ``amount`` (smallest currency unit) of the payment, or all that is left of it."""

    @abc.abstractmethod
    def parse_webhook(self, payload: bytes, signature_header: str | None) -> dict[str, Any]:
        """Verify a webhook delivery and return the event as a plain dict (raises InvalidWebhook)."""
