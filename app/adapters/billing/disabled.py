"""Payments off (the embedded default, no ``STRIPE_SECRET_KEY``): every call says so."""

from __future__ import annotations

from typing import Any, NoReturn

from app.adapters.billing.base import (
    Billing,
    BillingDisabled,
    CheckoutRequest,
    CheckoutSession,
    Refund,
)


class DisabledBilling(Billing):
    name = "disabled"
    enabled = False

    @staticmethod
    def _refuse() -> NoReturn:
        raise BillingDisabled("Payments are turned off on this server (no STRIPE_SECRET_KEY).")

    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        self._refuse()

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        self._refuse()

    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        self._refuse()

    def create_refund(self, *, payment_intent_id: str, idempotency_key: str,
                      metadata: dict[str, str], amount: int | None = None) -> Refund:
        self._refuse()

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> dict[str, Any]:
        self._refuse()
