"""Payment tasks: refunds that must happen even when Stripe is briefly unavailable."""

from __future__ import annotations

import logging
import uuid

from app.tasks.jobs import task

log = logging.getLogger(__name__)


@task(queue="default", timeout=60, retries=6, retry_intervals=(30, 120, 600, 1800, 3600, 7200))
def refund_payment_task(payment_id: str) -> str:
    """Refund a payment that bought nothing (its job was canceled or already paid).

    Raises on failure so RQ retries; the refund's idempotency key is fixed per payment, so
    a retry never refunds twice.
    """
    from app.services.payments import refund_payment

    result = refund_payment(uuid.UUID(payment_id))
    log.info("automatic_refund", extra={"payment_id": payment_id, "outcome": result.outcome})
    return result.outcome
