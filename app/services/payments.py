"""Paying for renders: Checkout Sessions, fulfilment, refunds.

Rules:
- One open Checkout Session per render job at a time: asking again returns the same one.
- A job is enqueued only on the transition of its payment to ``paid`` (``settle_paid``),
  however many times and in whatever order Stripe reports it.
- A Stripe call that fails writes nothing; one whose outcome is unknown (timeout) is retried
  with the same idempotency key, so Stripe replays what it did instead of doing it twice.
- Lock order, everywhere: the render job row, then the payment row. Both are locked
  (``SELECT ... FOR UPDATE``) while a payment changes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from app.adapters import get_billing
from app.adapters.billing import (
    BillingDeclined,
    BillingError,
    BillingRateLimited,
    BillingUnavailable,
    CheckoutRequest,
)
from app.errors import ApiError, Conflict, NotFound, ServiceUnavailable, UpstreamError
from app.extensions import db, redis_client
from app.models import Payment, PaymentStatus, RenderJob, RenderStatus, User, utcnow

log = logging.getLogger(__name__)

# A stored session closer than this to its expiry is replaced rather than handed out again.
SESSION_REUSE_MARGIN = timedelta(minutes=5)
# Failed (answered) attempts at creating a session are counted here, to move to a new key.
CHECKOUT_FAILURES_TTL = 2 * 24 * 3600
# Jobs in these states have not produced their video yet: a refund cancels them.
NOT_YET_RENDERED = frozenset({RenderStatus.AWAITING_PAYMENT, RenderStatus.QUEUED,
                              RenderStatus.RENDERING})

AfterCommit = list[Callable[[], None]]


@dataclass(frozen=True)
class CheckoutResult:
    payment: Payment
    created: bool  # False when an open session was handed out again


@dataclass(frozen=True)
class RefundResult:
    payment: Payment
    outcome: str  # refunded | pending | already_refunded


# -- errors -----------------------------------------------------------------------------

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


# -- locking ----------------------------------------------------------------------------

def lock_render_job(job_id: uuid.UUID, *, user_id: uuid.UUID | None = None) -> RenderJob | None:
    stmt = (select(RenderJob).where(RenderJob.id == job_id)
            .options(lazyload(RenderJob.user))
            .with_for_update(of=RenderJob).execution_options(populate_existing=True))
    if user_id is not None:
        stmt = stmt.where(RenderJob.user_id == user_id)
    return db.session.execute(stmt).scalar_one_or_none()


def lock_payment(payment_id: uuid.UUID) -> Payment:
    stmt = (select(Payment).where(Payment.id == payment_id)
            .with_for_update().execution_options(populate_existing=True))
    return db.session.execute(stmt).scalar_one()


def lock_payment_where(*criteria) -> tuple[RenderJob | None, Payment | None]:
    """Find one payment, then lock its job and it (in that order)."""
    row = db.session.execute(
        select(Payment.id, Payment.render_job_id).where(*criteria)
        .order_by(Payment.created_at.desc()).limit(1)).first()
    if row is None:
        return None, None
    job = lock_render_job(row.render_job_id)
    return job, lock_payment(row.id)


# -- checkout ---------------------------------------------------------------------------

def _attempt_key(job: RenderJob) -> tuple[str, str]:
    """(idempotency key, Redis counter) for the next attempt at creating a session."""
    number = db.session.scalar(
        select(func.count(Payment.id)).where(Payment.render_job_id == job.id)) + 1
    counter = redis_client.key("payments", "checkout-failures", str(job.id), str(number))
    failures = int(redis_client.conn.get(counter) or 0)
    key = f"waveframe-checkout-{job.id}-{number}" + (f"-r{failures}" if failures else "")
    return key, counter


def _checkout_request(job: RenderJob, user: User, idempotency_key: str) -> CheckoutRequest:
    frontend = current_app.config["FRONTEND_URL"]
    config = job.config or {}
    seconds = round(float(job.audio_duration))
    return CheckoutRequest(
        amount=int(job.price_amount), currency=job.price_currency,
        product_name="Waveframe visualizer render",
        description=(f"{config.get('template', 'visualizer')} video, "
                     f"{config.get('size', '1920x1080')}, {seconds} s of audio"),
        client_reference_id=str(job.id),
        metadata={"render_job_id": str(job.id), "user_id": str(user.id)},
        customer_email=user.email,
        success_url=(f"{frontend}/renders/{job.id}?checkout=success"
                     "&session_id={CHECKOUT_SESSION_ID}"),
        cancel_url=f"{frontend}/renders/{job.id}?checkout=canceled",
        idempotency_key=idempotency_key)


def _open_payment(job: RenderJob) -> Payment | None:
    return db.session.execute(
        select(Payment).where(Payment.render_job_id == job.id,
                              Payment.status == PaymentStatus.PENDING)
        .order_by(Payment.created_at.desc()).limit(1)
        .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()


def _reusable(job: RenderJob, payment: Payment, now: datetime) -> bool:
    """Whether the pending session can be handed out again; settles it when it cannot."""
    billing = get_billing()
    fresh = payment.checkout_expires_at is None or \
        payment.checkout_expires_at > now + SESSION_REUSE_MARGIN
    try:
        session = (billing.retrieve_checkout_session(payment.checkout_session_id) if fresh
                   else billing.expire_checkout_session(payment.checkout_session_id))
    except BillingError as exc:
        if fresh:  # Stripe unreachable: what we stored is still our best knowledge
            log.warning("checkout_session_check_failed", extra={
                "payment_id": str(payment.id), "error": type(exc).__name__})
            return True
        raise provider_error(exc, "renew the checkout session") from exc
    if session.status == "open":
        return True
    if session.status == "complete":
        payment.payment_intent_id = session.payment_intent_id or payment.payment_intent_id
        if session.payment_status == "paid":
            settle_paid(job, payment, now, [])
            raise Conflict("This render has just been paid for; it is now queued.",
                           code="render_already_paid")
        db.session.commit()
        raise Conflict("A payment for this render is being processed; you will be emailed "
                       "when it completes.", code="payment_processing")
    payment.status = PaymentStatus.EXPIRED
    log.info("checkout_session_expired", extra={"payment_id": str(payment.id)})
    return False


def start_checkout(user: User, job_id: uuid.UUID) -> CheckoutResult:
    """Hand out the Checkout Session that pays for ``job_id`` (the user's own job)."""
    billing = get_billing()
    if not billing.enabled:
        raise payments_disabled_error()
    job = lock_render_job(job_id, user_id=user.id)
    if job is None:
        db.session.rollback()
        raise NotFound("No render job with this id.", code="render_not_found")
    if job.status != RenderStatus.AWAITING_PAYMENT:
        db.session.rollback()
        raise Conflict(f"This render is {job.status}; only a render awaiting payment can be "
                       "paid for.", code="render_not_payable", details={"status": str(job.status)})
    now = utcnow()
    payment = _open_payment(job)
    if payment is not None and _reusable(job, payment, now):
        db.session.commit()
        return CheckoutResult(payment, created=False)

    idempotency_key, failure_counter = _attempt_key(job)
    try:
        session = billing.create_checkout_session(_checkout_request(job, user, idempotency_key))
    except BillingError as exc:
        db.session.rollback()
        if exc.outcome_known:  # Stripe answered (and stores that answer): next time, a new key
            redis_client.conn.incr(failure_counter)
            redis_client.conn.expire(failure_counter, CHECKOUT_FAILURES_TTL)
        log.warning("checkout_session_failed", extra={
            "render_job_id": str(job_id), "error": type(exc).__name__,
            "provider_code": exc.provider_code, "outcome_known": exc.outcome_known})
        raise provider_error(exc, "start the checkout") from exc

    payment = Payment(user_id=user.id, render_job_id=job.id, checkout_session_id=session.id,
                      checkout_url=session.url, checkout_expires_at=session.expires_at,
                      amount=int(job.price_amount), currency=job.price_currency,
                      status=PaymentStatus.PENDING)
    db.session.add(payment)
    db.session.commit()
    log.info("checkout_session_created", extra={
        "render_job_id": str(job.id), "payment_id": str(payment.id),
        "amount": payment.amount, "currency": payment.currency})
    return CheckoutResult(payment, created=True)


# -- fulfilment -------------------------------------------------------------------------

def settle_paid(job: RenderJob, payment: Payment, at: datetime, after_commit: AfterCommit,
                payment_intent_id: str | None = None) -> str:
    """The payment is paid: on the transition (and only then) the job is enqueued.

    Both rows must be locked by the caller. Commits. A payment for a job that can no longer
    be rendered (canceled, expired, or already paid through another session) is refunded by
    a task scheduled in ``after_commit``.
    """
    if payment_intent_id:
        payment.payment_intent_id = payment_intent_id
    if payment.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        db.session.commit()
        return "already_paid"
    payment.status = PaymentStatus.PAID
    payment.paid_at = at
    log.info("payment_paid", extra={"payment_id": str(payment.id), "render_job_id": str(job.id),
                                    "amount": payment.amount, "currency": payment.currency})
    if job.status == RenderStatus.AWAITING_PAYMENT:
        from app.renders.queueing import queue_render
        job.paid_at = at
        db.session.flush()
        queue_render(job)  # moves the job to queued, commits, pushes the render task
        return "paid"
    db.session.commit()
    log.warning("payment_for_unpayable_job", extra={
        "payment_id": str(payment.id), "render_job_id": str(job.id), "status": str(job.status)})
    after_commit.append(lambda: schedule_refund(payment.id))
    return "paid_refund_scheduled"


def schedule_refund(payment_id: uuid.UUID) -> None:
    from app.payments.tasks import refund_payment_task
    refund_payment_task.enqueue(str(payment_id), job_id=f"refund-{payment_id}")


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
    from app.renders.service import cancel_render
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


# -- refunds ----------------------------------------------------------------------------

def refund_payment(payment_id: uuid.UUID) -> RefundResult:
    """Refund one paid payment in full through Stripe and record the outcome.

    The idempotency key is fixed per payment, so asking twice (two admins, a retried task)
    never refunds twice. A refund Stripe reports as pending is confirmed by the webhook.
    """
    billing = get_billing()
    if not billing.enabled:
        raise payments_disabled_error()
    row = db.session.get(Payment, payment_id)
    if row is None:
        raise NotFound("No payment with this id.", code="payment_not_found")
    job_id = row.render_job_id
    db.session.rollback()
    job = lock_render_job(job_id)
    payment = lock_payment(payment_id)
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
