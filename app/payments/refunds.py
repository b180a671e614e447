"""Refunds: refunding a payment in full through Stripe, and recording a refund however it is
reported (our own call, or a webhook). A refunded job that has not produced its video yet is
canceled; one already rendered keeps its video.

Both rows are locked while a payment changes: the render job first, then the payment.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.adapters import get_billing
from app.adapters.billing import BillingError
from app.errors import Conflict, NotFound, UpstreamError
from app.extensions import db
from app.models import Payment, PaymentStatus, RenderJob, RenderStatus, utcnow
from app.payments.errors import payments_disabled_error, provider_error
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
    outcome: str  # refunded | pending | already_refunded


def refund_payment(payment_id: uuid.UUID) -> RefundResult:
    """Refund one paid payment in full through Stripe and record the outcome.

    The idempotency key is fixed per payment, so asking twice (two admins, a retried task)
    never refunds twice. A refund Stripe reports as pending is confirmed by the webhook.
    """
    billing = get_billing()
    if not billing.enabled:
        raise payments_disabled_error()
    job, payment = lock_payment_where(Payment.id == payment_id)
    if payment is None:
        raise NotFound("No payment with this id.", code="payment_not_found")
    if payment.status == PaymentStatus.REFUNDED:
        db.session.commit()
        return RefundResult(payment, "already_refunded")
    if payment.status != PaymentStatus.PAID or not payment.payment_intent_id:
        db.session.rollback()
        raise Conflict(f"This payment is {payment.status}; only a paid payment can be refunded.",
                       code="payment_not_refundable", details={"status": str(payment.status)})
    try:
        refund = billing.create_refund(
            payment_intent_id=payment.payment_intent_id,
            idempotency_key=f"waveframe-refund-{payment.id}",
            metadata={"render_job_id": str(job.id), "payment_id": str(payment.id)})
    except BillingError as exc:
        db.session.rollback()
        log.warning("refund_failed", extra={"payment_id": str(payment.id),
                                            "error": type(exc).__name__})
        raise provider_error(exc, "refund the payment") from exc
    if refund.status == "succeeded":
        apply_refund(job, payment, utcnow(), refund.id)
        return RefundResult(payment, "refunded")
    if refund.status in ("failed", "canceled"):
        db.session.rollback()
        raise UpstreamError(f"Stripe could not refund this payment (refund {refund.status}).",
                            code="refund_failed", details={"refund_status": refund.status})
    payment.refund_id = refund.id
    db.session.commit()
    log.info("refund_pending", extra={"payment_id": str(payment.id)})
    return RefundResult(payment, "pending")


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
