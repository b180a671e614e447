"""Stripe webhook events: verified, recorded once, applied to payments and render jobs.

Each delivery runs in one transaction: the event id is inserted into ``stripe_events``
first (its primary key is the idempotency guard: a second delivery of the same event,
even a concurrent one, hits the unique constraint and is acknowledged as a duplicate), then
the event is applied with the job and payment rows locked. If anything of ours fails the
whole transaction rolls back -- the event id included -- and the 5xx answer makes Stripe
deliver it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from app.adapters import get_billing
from app.adapters.billing import InvalidWebhook
from app.errors import BadRequest, ServiceUnavailable
from app.extensions import db
from app.models import (
    PARTIALLY_REFUNDED,
    Payment,
    PaymentStatus,
    RefundStatus,
    RenderJob,
    StripeEvent,
    utcnow,
)
from app.payments.errors import payments_disabled_error
from app.payments.fulfilment import AfterCommit, settle_paid
from app.payments.refund_records import (
    REPORTED_BY_STRIPE,
    add_refund,
    mark_succeeded,
    refund_by_stripe_id,
)
from app.payments.refunds import apply_refund, record_refund_succeeded
from app.payments.rows import lock_payment_where
from app.web.metrics import observe_webhook

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    event_type: str
    outcome: str  # what happened: paid, duplicate, ignored, unknown_payment, ...


def handle_stripe_webhook(payload: bytes, signature_header: str | None) -> WebhookOutcome:
    billing = get_billing()
    if not billing.enabled:
        raise payments_disabled_error()
    if not billing.webhooks_configured:  # our misconfiguration: 503 so Stripe keeps the event
        log.error("stripe_webhook_secret_missing")
        observe_webhook(None, "not_configured")
        raise ServiceUnavailable("Webhooks cannot be verified: STRIPE_WEBHOOK_SECRET is not set "
                                 "on this server.", code="webhook_not_configured")
    try:
        event = billing.parse_webhook(payload, signature_header)
    except InvalidWebhook as exc:
        log.warning("stripe_webhook_rejected", extra={"reason": str(exc)})
        observe_webhook(None, "invalid_signature")
        raise BadRequest(f"{exc} Nothing was changed.", code="invalid_signature") from exc

    event_id, event_type = str(event["id"]), str(event["type"])
    after_commit: AfterCommit = []
    try:
        if not _record_event(event_id, event_type):
            log.info("stripe_event_duplicate", extra={"event_id": event_id, "type": event_type})
            observe_webhook(event_type, "duplicate")
            return WebhookOutcome(event_id, event_type, "duplicate")
        handler = EVENT_HANDLERS.get(event_type)
        outcome = handler(event["data"]["object"], after_commit) if handler else "ignored"
        db.session.commit()
    except OperationalError as exc:
        db.session.rollback()
        observe_webhook(event_type, "database_unavailable")
        log.exception("stripe_webhook_database_error", extra={"event_id": event_id})
        raise ServiceUnavailable("The database is unavailable; the event was not processed "
                                 "and Stripe will deliver it again.",
                                 code="database_unavailable") from exc
    except BaseException:
        db.session.rollback()
        observe_webhook(event_type, "error")
        raise
    for action in after_commit:
        action()
    log.info("stripe_event_processed", extra={"event_id": event_id, "type": event_type,
                                              "outcome": outcome})
    observe_webhook(event_type, outcome)
    return WebhookOutcome(event_id, event_type, outcome)


def _record_event(event_id: str, event_type: str) -> bool:
    """Insert the event id; False when it is already there (or being inserted right now)."""
    db.session.add(StripeEvent(id=event_id, type=event_type[:128], received_at=utcnow()))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


# -- handlers: each gets the event's data.object and returns the outcome ------------------

def _session_payment(session: dict[str, Any]) -> tuple[RenderJob | None, Payment | None]:
    job, payment = lock_payment_where(Payment.checkout_session_id == session.get("id"))
    if payment is None:
        log.warning("stripe_session_unknown", extra={
            "checkout_session_id": session.get("id"),
            "render_job_id": (session.get("metadata") or {}).get("render_job_id")})
    return job, payment


def _intent_id(obj: dict[str, Any]) -> str | None:
    value = obj.get("payment_intent")
    return value.get("id") if isinstance(value, dict) else value


def on_session_completed(session: dict[str, Any], after_commit: AfterCommit) -> str:
    job, payment = _session_payment(session)
    if payment is None:
        return "unknown_payment"
    if session.get("payment_status") == "paid":
        return settle_paid(job, payment, utcnow(), after_commit, _intent_id(session))
    # Delayed methods (bank debits): the money is not there yet; async_payment_* follows.
    payment.payment_intent_id = _intent_id(session) or payment.payment_intent_id
    return "awaiting_async_payment"


def on_async_payment_succeeded(session: dict[str, Any], after_commit: AfterCommit) -> str:
    job, payment = _session_payment(session)
    if payment is None:
        return "unknown_payment"
    return settle_paid(job, payment, utcnow(), after_commit, _intent_id(session))


def on_async_payment_failed(session: dict[str, Any], after_commit: AfterCommit) -> str:
    return _close_pending(session, PaymentStatus.FAILED, "payment_failed")


def on_session_expired(session: dict[str, Any], after_commit: AfterCommit) -> str:
    return _close_pending(session, PaymentStatus.EXPIRED, "payment_expired")


def _close_pending(session: dict[str, Any], status: PaymentStatus, event: str) -> str:
    """A session that will not be paid: its pending payment ends (the job stays
    awaiting_payment, so the user may check out again)."""
    _job, payment = _session_payment(session)
    if payment is None:
        return "unknown_payment"
    if payment.status != PaymentStatus.PENDING:
        return f"already_{payment.status}"
    payment.status = status
    payment.payment_intent_id = _intent_id(session) or payment.payment_intent_id
    log.info(event, extra={"payment_id": str(payment.id)})
    return str(status)


def _refunded_payment(payment_intent_id: str | None) -> tuple[RenderJob | None, Payment | None]:
    if not payment_intent_id:
        return None, None
    return lock_payment_where(Payment.payment_intent_id == payment_intent_id)


def on_charge_refunded(charge: dict[str, Any], after_commit: AfterCommit) -> str:
    job, payment = _refunded_payment(_intent_id(charge))
    if payment is None:
        return "unknown_payment"
    refunds = (charge.get("refunds") or {}).get("data") or []
    if charge.get("refunded"):  # all of it went back: the purchase is undone
        return apply_refund(job, payment, utcnow(), refunds[0].get("id") if refunds else None)
    return _record_partial_total(job, payment, int(charge.get("amount_refunded") or 0), refunds)


def _record_partial_total(job: RenderJob, payment: Payment, total: int,
                          refunds: list[dict[str, Any]]) -> str:
    """Part of the charge went back (``total`` so far): count our pending refunds it includes,
    and record what no row accounts for (a refund made in Stripe's dashboard)."""
    if payment.status != PaymentStatus.PAID:
        return f"already_{payment.status}"
    unknown = None
    for refund in refunds:
        row = refund_by_stripe_id(refund.get("id"))
        if row is None:
            unknown = unknown or refund.get("id")
        elif refund.get("status", "succeeded") == "succeeded":
            mark_succeeded(payment, row)
    missing = total - (payment.refunded_amount or 0)
    if missing > 0:
        add_refund(payment, amount=missing, reason=REPORTED_BY_STRIPE, stripe_refund_id=unknown,
                   status=RefundStatus.SUCCEEDED, actor_id=None)
    log.info("payment_partially_refunded", extra={"payment_id": str(payment.id),
                                                  "refunded_amount": payment.refunded_amount})
    return PARTIALLY_REFUNDED


def on_refund_changed(refund: dict[str, Any], after_commit: AfterCommit) -> str:
    job, payment = _refunded_payment(_intent_id(refund))
    if payment is None:
        return "unknown_payment"
    status = refund.get("status")
    row = refund_by_stripe_id(refund.get("id"))
    if status == "succeeded":
        if payment.status == PaymentStatus.REFUNDED:
            return apply_refund(job, payment, utcnow(), None)  # already_refunded
        if row is not None:
            return record_refund_succeeded(job, payment, row, utcnow())
        amount = refund.get("amount")
        left = payment.amount - (payment.refunded_amount or 0)
        if amount is None or int(amount) >= left:
            return apply_refund(job, payment, utcnow(), refund.get("id"))
        return _record_partial_total(job, payment, (payment.refunded_amount or 0) + int(amount),
                                     [refund])
    if status in ("failed", "canceled"):
        if row is not None and row.status == RefundStatus.PENDING:
            row.status = RefundStatus.FAILED
        if payment.refund_id == refund.get("id") and payment.status == PaymentStatus.PAID:
            payment.refund_id = None
        log.warning("refund_not_completed", extra={"payment_id": str(payment.id),
                                                   "refund_status": status})
        return f"refund_{status}"
    if payment.status == PaymentStatus.PAID and row is None:
        payment.refund_id = refund.get("id")
    return "refund_pending"


EVENT_HANDLERS: dict[str, Callable[[dict[str, Any], AfterCommit], str]] = {
    "checkout.session.completed": on_session_completed,
    "checkout.session.async_payment_succeeded": on_async_payment_succeeded,
    "checkout.session.async_payment_failed": on_async_payment_failed,
    "checkout.session.expired": on_session_expired,
    "charge.refunded": on_charge_refunded,
    "refund.created": on_refund_changed,
    "refund.updated": on_refund_changed,
    "refund.failed": on_refund_changed,
    "charge.refund.updated": on_refund_changed,
}
