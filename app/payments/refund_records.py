"""The ``payment_refunds`` rows: one per refund of (part of) a payment, and the running total on
the payment (``refunded_amount``, the sum of its succeeded refunds).

Callers hold the job and payment row locks (``app.payments.rows``) and commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import Payment, PaymentRefund, RefundStatus

REPORTED_BY_STRIPE = "refund reported by Stripe"


def pending_refund_total(payment: Payment) -> int:
    """What pending refunds of ``payment`` will take back if they succeed."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(PaymentRefund.amount), 0)).where(
            PaymentRefund.payment_id == payment.id,
            PaymentRefund.status == RefundStatus.PENDING)) or 0)


def recent_same_refund(payment: Payment, *, amount: int, actor_id: uuid.UUID | None,
                       since: datetime) -> PaymentRefund | None:
    """A refund of the same amount by the same actor since ``since`` (a form sent twice)."""
    return db.session.scalar(select(PaymentRefund).where(
        PaymentRefund.payment_id == payment.id, PaymentRefund.amount == amount,
        PaymentRefund.actor_id.is_(None) if actor_id is None else PaymentRefund.actor_id == actor_id,
        PaymentRefund.status != RefundStatus.FAILED, PaymentRefund.created_at >= since).limit(1))


def refund_by_stripe_id(stripe_refund_id: str | None) -> PaymentRefund | None:
    if not stripe_refund_id:
        return None
    return db.session.scalar(select(PaymentRefund).where(
        PaymentRefund.stripe_refund_id == stripe_refund_id))


def add_refund(payment: Payment, *, amount: int, reason: str, stripe_refund_id: str | None,
               status: RefundStatus, actor_id: uuid.UUID | None) -> PaymentRefund:
    """Record a refund; a succeeded one adds to the payment's ``refunded_amount``."""
    row = PaymentRefund(payment_id=payment.id, amount=amount, reason=reason,
                        stripe_refund_id=stripe_refund_id, status=status, actor_id=actor_id)
    db.session.add(row)
    if status == RefundStatus.SUCCEEDED:
        payment.refunded_amount = (payment.refunded_amount or 0) + amount
    db.session.flush()
    return row


def mark_succeeded(payment: Payment, row: PaymentRefund) -> bool:
    """A pending refund went through; False when it was already counted."""
    if row.status == RefundStatus.SUCCEEDED:
        return False
    row.status = RefundStatus.SUCCEEDED
    payment.refunded_amount = (payment.refunded_amount or 0) + row.amount
    return True


def settle_full_refund(payment: Payment, stripe_refund_id: str | None) -> None:
    """The whole payment went back: every pending refund succeeded, and what no row accounts
    for (a refund made outside Waveframe) gets a row, so the rows add up to the amount."""
    rows = db.session.scalars(select(PaymentRefund).where(
        PaymentRefund.payment_id == payment.id,
        PaymentRefund.status == RefundStatus.PENDING)).all()
    for row in rows:
        mark_succeeded(payment, row)
    missing = payment.amount - (payment.refunded_amount or 0)
    if missing > 0:
        known = refund_by_stripe_id(stripe_refund_id) is not None
        add_refund(payment, amount=missing, reason=REPORTED_BY_STRIPE,
                   stripe_refund_id=None if known else stripe_refund_id,
                   status=RefundStatus.SUCCEEDED, actor_id=None)
