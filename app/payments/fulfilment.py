"""Fulfilment: a paid payment queues its render job -- on the transition to ``paid`` only,
however many times and in whatever order Stripe reports it. A payment that buys nothing (its
job was canceled, expired, or already paid through another session) is refunded by a task.

Lock order, everywhere: the render job row, then the payment row (``app.payments.rows``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from app.extensions import db
from app.models import Payment, PaymentStatus, RenderJob, RenderStatus
from app.payments.tasks import refund_payment_task
from app.renders.queueing import queue_render

log = logging.getLogger(__name__)

# Actions to run once the surrounding transaction has committed (a webhook's, say).
AfterCommit = list[Callable[[], None]]


def settle_paid(job: RenderJob, payment: Payment, at: datetime, after_commit: AfterCommit,
                payment_intent_id: str | None = None) -> str:
    """The payment is paid: on the transition (and only then) the job is queued.

    Both rows must be locked by the caller. Commits. A payment for a job that can no longer
    be rendered is refunded by a task scheduled in ``after_commit``.
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
        job.paid_at = at
        queue_render(job)  # moves the job to queued, commits (with the payment), pushes the task
        return "paid"
    db.session.commit()
    log.warning("payment_for_unpayable_job", extra={
        "payment_id": str(payment.id), "render_job_id": str(job.id), "status": str(job.status)})
    after_commit.append(lambda: schedule_refund(payment.id))
    return "paid_refund_scheduled"


def schedule_refund(payment_id: uuid.UUID) -> None:
    refund_payment_task.enqueue(str(payment_id), job_id=f"refund-{payment_id}")
