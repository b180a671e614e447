"""The one way to lock a payment's row: its render job first, then the payment (the lock order
everywhere), both with ``SELECT ... FOR UPDATE``."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import Payment, RenderJob
from app.renders.rows import lock_render_job


def lock_payment(payment_id: uuid.UUID) -> Payment:
    """The payment row, locked and re-read (its job must already be locked by the caller)."""
    stmt = (select(Payment).where(Payment.id == payment_id)
            .with_for_update().execution_options(populate_existing=True))
    return db.session.execute(stmt).scalar_one()


def lock_payment_where(*criteria) -> tuple[RenderJob | None, Payment | None]:
    """The newest payment matching ``criteria``: lock its job, then it (in that order)."""
    row = db.session.execute(
        select(Payment.id, Payment.render_job_id).where(*criteria)
        .order_by(Payment.created_at.desc()).limit(1)).first()
    if row is None:
        return None, None
    job = lock_render_job(row.render_job_id)
    return job, lock_payment(row.id)
