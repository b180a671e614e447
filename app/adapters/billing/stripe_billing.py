"""Stripe, through the official SDK: Checkout Sessions, refunds and webhook verification.

The only module that imports ``stripe``. One ``StripeClient`` per app, pointed at
``STRIPE_API_BASE`` when set (tests run a local fake Stripe there), so no global SDK state
is shared between apps or threads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import stripe

from app.adapters.billing.base import (
    Billing,
    BillingDeclined,
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

WEBHOOK_TOLERANCE_SECONDS = 300
DEFAULT_TIMEOUT_SECONDS = 20
DEFAULT_MAX_NETWORK_RETRIES = 2

T = TypeVar("T")


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _id_of(value: Any) -> str | None:
    """A field that is an id, or an expanded object carrying one."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id")


def _plain(resource: Any) -> dict[str, Any]:
    """An SDK object as plain dicts (SDK objects refuse dict methods such as ``get``)."""
    return resource.to_dict() if hasattr(resource, "to_dict") else dict(resource)


def _retry_after(exc: stripe.StripeError) -> int | None:
    raw = (exc.headers or {}).get("Retry-After") if exc.headers else None
    try:
        return int(raw) if raw else None
    except (TypeError, ValueError):
        return None


def translate_error(exc: stripe.StripeError) -> BillingError:
    """Map an SDK exception to ours; the message never carries keys or card data."""
    status = exc.http_status
    code = getattr(exc, "code", None)
    if isinstance(exc, stripe.CardError):
        return BillingDeclined(exc.user_message or "The payment was declined.",
                               provider_code=code, http_status=status)
    if isinstance(exc, stripe.RateLimitError):
        return BillingRateLimited("Stripe is rate limiting requests.", provider_code=code,
                                  http_status=status, retry_after=_retry_after(exc))
    if isinstance(exc, stripe.APIConnectionError):
        return BillingUnreachable("Stripe could not be reached (timeout or connection error).",
                                  provider_code=code)
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return BillingRejected("Stripe refused our credentials.", provider_code=code,
                               http_status=status)
    if status is not None and status < 500:
        return BillingRejected(f"Stripe refused the request ({code or status}).",
                               provider_code=code, http_status=status)
    return BillingUnavailable("Stripe failed to process the request.", provider_code=code,
                              http_status=status)


class StripeBilling(Billing):
    name = "stripe"
    enabled = True

    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str = "",
                 timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 max_network_retries: int = DEFAULT_MAX_NETWORK_RETRIES):
        self._webhook_secret = webhook_secret
        self.webhooks_configured = bool(webhook_secret)
        base_addresses = {"api": api_base.rstrip("/")} if api_base else None
        self._client = stripe.StripeClient(
            secret_key, base_addresses=base_addresses, max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeBilling:
        return cls(secret_key=config["STRIPE_SECRET_KEY"],
                   webhook_secret=config.get("STRIPE_WEBHOOK_SECRET", ""),
                   api_base=config.get("STRIPE_API_BASE", ""),
                   timeout=config.get("STRIPE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS),
                   max_network_retries=config.get("STRIPE_MAX_NETWORK_RETRIES",
                                                  DEFAULT_MAX_NETWORK_RETRIES))

    @staticmethod
    def _call(func: Callable[[], T]) -> T:
        try:
            return func()
        except stripe.StripeError as exc:
            raise translate_error(exc) from exc

    @staticmethod
    def _session(resource: Any) -> CheckoutSession:
        obj = _plain(resource)
        return CheckoutSession(
            id=obj["id"], url=obj.get("url"), status=obj.get("status") or "open",
            payment_status=obj.get("payment_status") or "unpaid",
            expires_at=_timestamp(obj.get("expires_at")),
            payment_intent_id=_id_of(obj.get("payment_intent")),
            amount_total=obj.get("amount_total"), currency=obj.get("currency"),
            metadata=dict(obj.get("metadata") or {}))

    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        params = {
            "mode": "payment",
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": request.currency,
                    "unit_amount": request.amount,
                    "product_data": {"name": request.product_name,
                                     "description": request.description},
                },
            }],
            "client_reference_id": request.client_reference_id,
            "metadata": request.metadata,
            "payment_intent_data": {"metadata": request.metadata},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        session = self._call(lambda: self._client.v1.checkout.sessions.create(
            params, {"idempotency_key": request.idempotency_key}))
        return self._session(session)

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        return self._session(self._call(
            lambda: self._client.v1.checkout.sessions.retrieve(session_id)))

    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        return self._session(self._call(
            lambda: self._client.v1.checkout.sessions.expire(session_id)))

    def create_refund(self, *, payment_intent_id: str, idempotency_key: str,
                      metadata: dict[str, str], amount: int | None = None) -> Refund:
        params: dict[str, Any] = {"payment_intent": payment_intent_id, "metadata": metadata}
        if amount is not None:
            params["amount"] = int(amount)
        refund = _plain(self._call(lambda: self._client.v1.refunds.create(
            params, {"idempotency_key": idempotency_key})))
        return Refund(id=refund["id"], status=refund.get("status") or "pending",
                      payment_intent_id=_id_of(refund.get("payment_intent")),
                      amount=refund.get("amount"))

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> dict[str, Any]:
        try:
            event = stripe.Webhook.construct_event(
                payload, signature_header, self._webhook_secret,
                tolerance=WEBHOOK_TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError as exc:
            raise InvalidWebhook("The Stripe-Signature header does not verify.") from exc
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # signed, not an event
            raise InvalidWebhook("The webhook body is not a Stripe event.") from exc
        data = json.loads(payload)  # plain dicts for the services, not SDK objects
        if not isinstance(data, dict) or not data.get("id") or not data.get("type") \
                or not isinstance(data.get("data", {}).get("object"), dict) or event is None:
            raise InvalidWebhook("The webhook body is not a Stripe event.")
        return data
