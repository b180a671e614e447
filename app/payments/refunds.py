"""Refunds: refunding a payment -- in full, or a given amount with a reason (the operator's
refund) -- through Stripe, and recording a refund however it is reported (our own call, or a
webhook). Each refund is a ``payment_refunds`` row; a payment part of which went back stays
``paid`` (its ``refund_state`` is ``partially_refunded``); once all of it went back it is
``refunded``, and a job that has not produced its video yet is canceled (one already rendered
keeps its video).

Both rows are locked while a payment changes: the render job first, then the payment.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.adapters import get_billing
from app.adapters.billing import BillingError
from app.errors import Conflict, InvalidField, NotFound, UpstreamError
from app.extensions import db
from app.models import (
    PARTIALLY_REFUNDED,
    Payment,
    PaymentRefund,
    PaymentStatus,
    RefundStatus,
    RenderJob,
    RenderStatus,
    utcnow,
)
from app.payments.errors import payments_disabled_error, provider_error
from app.payments.refund_records import (
    add_refund,
    mark_succeeded,
    pending_refund_total,
    recent_same_refund,
    refund_by_stripe_id,
    settle_full_refund,
)
from app.payments.rows import lock_payment_where
from app.renders.rows import lock_render_job
from app.renders.service import cancel_render

log = logging.getLogger(__name__)

# Jobs in these states have not produced their video yet: a refund cancels them.
NOT_YET_RENDERED = frozenset({RenderStatus.AWAITING_PAYMENT, RenderStatus.QUEUED,
                              RenderStatus.RENDERING})


@dataclass(frozen=True)
class RefundResult:
    payment: Payment
    outcome: str  # refunded | partially_refunded | pending | already_refunded


@dataclass(frozen=True)
class RefundChange:
    """What an operator's refund changed, for the audit trail.

    ``changes`` maps each changed field of the payment to ``{"before": ..., "after": ...}``.
    """

    payment_id: uuid.UUID
    render_job_id: uuid.UUID
    refund_id: uuid.UUID | None  # the ``payment_refunds`` row
    stripe_refund_id: str | None
    amount: int
    currency: str
    outcome: str  # refunded | partially_refunded | pending
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)


# An operator's refund of the same amount of the same payment within this many seconds of the
# last is refused as a form sent twice.
DUPLICATE_WINDOW_SECONDS = 60
AUDITED_FIELDS = ("status", "refund_state", "refunded_amount", "refund_id", "refunded_at")


def refund_payment(payment_id: uuid.UUID, *, reason: str = "full refund",
                   actor_id: uuid.UUID | None = None) -> RefundResult:
    """Refund what is left of one paid payment through Stripe and record the outcome.

    The idempotency key is fixed per payment and refunded total, so asking twice (two admins, a
    retried task) never refunds twice. A refund Stripe reports as pending is confirmed by the
    webhook.
    """
    payment, _row, outcome = _refund(payment_id, amount=None, reason=reason, actor_id=actor_id)
    return RefundResult(payment, outcome)


def refund_payment_amount(payment_id: uuid.UUID, *, amount: int | None, reason: str,
                          actor_id: uuid.UUID | None) -> RefundChange:
    """Refund ``amount`` (smallest currency unit; None: all that is left) of a paid payment.

    The operator's refund: ``reason`` is required (422 ``invalid_field`` when blank), an amount
    above what is left to refund is 422 ``refund_exceeds_remaining`` (details: ``remaining``),
    a payment that is not paid is 409 ``payment_not_refundable``, the same amount refunded by
    the same actor in the last minute is 409 ``duplicate_refund`` (a form sent twice), a Stripe
    failure 502/503 with nothing recorded. A part refunded leaves the payment ``paid`` with ``refund_state``
    ``partially_refunded`` (the render goes on); all of it refunded makes it ``refunded`` (and
    cancels a render not yet done). Returns the before/after of the payment's changed fields.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidField("A reason is required for a refund.",
                           fields={"reason": ["A reason is required."]})
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)
                               or amount <= 0):
        raise InvalidField("The amount must be a positive whole number of cents.",
                           fields={"amount": ["Must be a positive integer."]})
    before: dict[str, Any] = {}
    payment, row, outcome = _refund(payment_id, amount=amount, reason=reason, actor_id=actor_id,
                                    snapshot=before)
    after = _audited(payment)
    return RefundChange(
        payment_id=payment.id, render_job_id=payment.render_job_id,
        refund_id=row.id if row else None, stripe_refund_id=row.stripe_refund_id if row else None,
        amount=row.amount if row else 0, currency=payment.currency, outcome=outcome,
        changes={k: {"before": before[k], "after": after[k]} for k in AUDITED_FIELDS
                 if before.get(k) != after[k]})


def _audited(payment: Payment) -> dict[str, Any]:
    values = {name: getattr(payment, name) for name in AUDITED_FIELDS}
    values["status"] = str(values["status"])
    values["refunded_at"] = values["refunded_at"].isoformat() if values["refunded_at"] else None
    return values


def _refund(payment_id: uuid.UUID, *, amount: int | None, reason: str,
            actor_id: uuid.UUID | None, snapshot: dict | None = None
            ) -> tuple[Payment, PaymentRefund | None, str]:
    billing = get_billing()
    if not billing.enabled:
        raise payments_disabled_error()
    job, payment = lock_payment_where(Payment.id == payment_id)
    if payment is None:
        raise NotFound("No payment with this id.", code="payment_not_found")
    if snapshot is not None:
        snapshot.update(_audited(payment))
    if payment.status == PaymentStatus.REFUNDED and amount is None and snapshot is None:
        db.session.commit()
        return payment, None, "already_refunded"
    if payment.status != PaymentStatus.PAID or not payment.payment_intent_id:
        db.session.rollback()
        raise Conflict(f"This payment is {payment.status}; only a paid payment can be refunded.",
                       code="payment_not_refundable", details={"status": str(payment.status)})
    already = (payment.refunded_amount or 0) + pending_refund_total(payment)
    remaining = payment.amount - already
    wanted = remaining if amount is None else amount
    if wanted > remaining or remaining <= 0:
        db.session.rollback()
        raise InvalidField(
            f"At most {remaining} (smallest currency unit) of this payment is left to refund.",
            code="refund_exceeds_remaining",
            fields={"amount": [f"At most {remaining} is left to refund."]},
            details={"remaining": remaining, "requested": wanted})
    if snapshot is not None and recent_same_refund(
            payment, amount=wanted, actor_id=actor_id,
            since=utcnow() - timedelta(seconds=DUPLICATE_WINDOW_SECONDS)):
        db.session.rollback()
        raise Conflict("The same refund was made moments ago; check the payment before "
                       "refunding again.", code="duplicate_refund",
                       details={"amount": wanted, "window_seconds": DUPLICATE_WINDOW_SECONDS})
    whole = wanted == remaining  # Stripe then refunds what is left: no amount is sent
    key = f"waveframe-refund-{payment.id}" if already == 0 and whole \
        else f"waveframe-refund-{payment.id}-{already}-{'rest' if whole else wanted}"
    try:
        refund = billing.create_refund(
            payment_intent_id=payment.payment_intent_id, idempotency_key=key,
            metadata={"render_job_id": str(job.id), "payment_id": str(payment.id)},
            amount=None if whole else wanted)
    except BillingError as exc:
        db.session.rollback()
        log.warning("refund_failed", extra={"payment_id": str(payment.id),
                                            "error": type(exc).__name__})
        raise provider_error(exc, "refund the payment") from exc
    if refund.status in ("failed", "canceled"):
        db.session.rollback()
        raise UpstreamError(f"Stripe could not refund this payment (refund {refund.status}).",
                            code="refund_failed", details={"refund_status": refund.status})
    row = refund_by_stripe_id(refund.id)
    if row is None:  # (a replayed answer for a refund already recorded has its row)
        row = add_refund(payment, amount=wanted, reason=reason, stripe_refund_id=refund.id,
                         status=RefundStatus.PENDING, actor_id=actor_id)
    if refund.status == "succeeded":
        return payment, row, record_refund_succeeded(job, payment, row, utcnow())
    if whole:
        payment.refund_id = refund.id
    db.session.commit()
    log.info("refund_pending", extra={"payment_id": str(payment.id), "amount": wanted})
    return payment, row, "pending"


def record_refund_succeeded(job: RenderJob, payment: Payment, row: PaymentRefund,
                            at: datetime) -> str:
    """A refund of ours succeeded (both rows locked): count it; when the whole amount is back
    the payment is refunded (``apply_refund``). Commits."""
    mark_succeeded(payment, row)
    if (payment.refunded_amount or 0) >= payment.amount:
        return apply_refund(job, payment, at, row.stripe_refund_id)
    db.session.commit()
    log.info("payment_partially_refunded", extra={"payment_id": str(payment.id),
                                                  "amount": row.amount,
                                                  "refunded_amount": payment.refunded_amount})
    return PARTIALLY_REFUNDED


def refund_render(job_id: uuid.UUID) -> RefundResult:
    """Refund what was paid for a render job (the admin action and ``flask payments refund``)."""
    if not get_billing().enabled:
        raise payments_disabled_error()
    job = db.session.get(RenderJob, job_id)
    if job is None:
        raise NotFound("No render job with this id.", code="render_not_found")
    payment = db.session.execute(
        select(Payment).where(Payment.render_job_id == job_id,
                              Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED]))
        .order_by((Payment.status == PaymentStatus.PAID).desc(), Payment.paid_at.desc())
        .limit(1)).scalar_one_or_none()
    if payment is None:
        raise Conflict("This render has no paid payment to refund.", code="render_not_paid")
    return refund_payment(payment.id)


def apply_refund(job: RenderJob, payment: Payment, at: datetime, refund_id: str | None) -> str:
    """The payment is refunded (both rows locked): record it; cancel a job not yet rendered.

    Commits.
    """
    if refund_id:
        payment.refund_id = refund_id
    if payment.status == PaymentStatus.REFUNDED:
        db.session.commit()
        return "already_refunded"
    settle_full_refund(payment, refund_id)
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = at
    log.info("payment_refunded", extra={"payment_id": str(payment.id),
                                        "render_job_id": str(job.id)})
    cancel = job.status in NOT_YET_RENDERED and not _other_paid_payment(job, payment)
    db.session.commit()  # the refund is recorded whatever happens to the job next
    if cancel:
        cancel_refunded_job(job.id)
    return "refunded"


def cancel_refunded_job(job_id: uuid.UUID) -> None:
    """Cancel a job whose payment was refunded, if it has not been rendered meanwhile."""
    job = lock_render_job(job_id)
    if job is None or job.status not in NOT_YET_RENDERED:
        db.session.rollback()
        return
    try:
        cancel_render(job, reason="refunded")
    except Conflict:  # it moved on (e.g. just completed): the user keeps the video
        db.session.rollback()
        log.info("refunded_job_not_canceled", extra={"render_job_id": str(job_id)})
        return
    db.session.commit()
    log.info("refunded_job_canceled", extra={"render_job_id": str(job_id)})


def _other_paid_payment(job: RenderJob, payment: Payment) -> bool:
    """True when the job is covered by another paid payment (a duplicate was refunded)."""
    return db.session.scalar(
        select(func.count(Payment.id)).where(
            Payment.render_job_id == job.id, Payment.id != payment.id,
            Payment.status == PaymentStatus.PAID)) > 0
