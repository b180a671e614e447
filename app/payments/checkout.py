"""Checkout: the Stripe Checkout Session that pays for one render job.

Rules:
- One open Checkout Session per render job at a time: asking again returns the same one.
- A Stripe call that fails writes nothing; one whose outcome is unknown (timeout) is retried
  with the same idempotency key, so Stripe replays what it did instead of doing it twice.
- A stored session found already paid is settled here (``app.payments.fulfilment``), as the
  webhook would.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.adapters import get_billing
from app.adapters.billing import BillingError, CheckoutRequest
from app.errors import Conflict, NotFound
from app.extensions import db, redis_client
from app.models import Payment, PaymentStatus, RenderJob, RenderStatus, User, utcnow
from app.payments.errors import payments_disabled_error, provider_error
from app.payments.fulfilment import settle_paid
from app.payments.rows import lock_payment_where
from app.renders.rows import lock_render_job

log = logging.getLogger(__name__)

# A stored session closer than this to its expiry is replaced rather than handed out again.
SESSION_REUSE_MARGIN = timedelta(minutes=5)
# Failed (answered) attempts at creating a session are counted here, to move to a new key.
CHECKOUT_FAILURES_TTL = 2 * 24 * 3600


@dataclass(frozen=True)
class CheckoutResult:
    payment: Payment
    created: bool  # False when an open session was handed out again


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
        description=_description(job, config, seconds),
        client_reference_id=str(job.id),
        metadata={"render_job_id": str(job.id), "user_id": str(user.id)},
        customer_email=user.email,
        success_url=(f"{frontend}/renders/{job.id}?checkout=success"
                     "&session_id={CHECKOUT_SESSION_ID}"),
        cancel_url=f"{frontend}/renders/{job.id}?checkout=canceled",
        idempotency_key=idempotency_key)


def _description(job: RenderJob, config: dict, seconds: int) -> str:
    """What the Checkout page says is bought: one video, or the formats of an order."""
    formats = job.formats
    if len(formats) > 1:
        return (f"{config.get('template', 'visualizer')} video in {len(formats)} formats "
                f"({', '.join(formats)}), {seconds} s of audio")
    return f"{config.get('template', 'visualizer')} video, {formats[0]}, {seconds} s of audio"


def _open_payment(job: RenderJob) -> Payment | None:
    """The job's pending payment, locked (the job is locked already)."""
    _job, payment = lock_payment_where(Payment.render_job_id == job.id,
                                       Payment.status == PaymentStatus.PENDING)
    return payment


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
