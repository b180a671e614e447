"""Payment tasks: refunds that must happen even when Stripe is briefly unavailable."""

from __future__ import annotations

import logging
import uuid

from rq import get_current_job

from app.errors import ApiError, ServiceUnavailable
from app.payments.refunds import refund_payment
from app.tasks.jobs import task
from app.tasks.queues import DEFAULT

log = logging.getLogger(__name__)


@task(queue=DEFAULT, timeout=60, retries=6, retry_intervals=(30, 120, 600, 1800, 3600, 7200))
def refund_payment_task(payment_id: str) -> str:
    """Refund a payment that bought nothing (its job was canceled or already paid).

    Raises on failure so RQ retries while Stripe is busy or unreachable; the refund's
    idempotency key is fixed per payment, so a retry never refunds twice. A refusal (Stripe
    rejects the refund, or reports it failed) would only be replayed by a retry: the job
    fails for good at once, for an operator to look at.
    """
    try:
        result = refund_payment(uuid.UUID(payment_id))
    except ServiceUnavailable:
        raise
    except ApiError as exc:
        job = get_current_job()
        if job is not None:
            job.retries_left = 0
        log.error("automatic_refund_refused", extra={"payment_id": payment_id, "code": exc.code})
        raise
    log.info("automatic_refund", extra={"payment_id": payment_id, "outcome": result.outcome})
    return result.outcome
