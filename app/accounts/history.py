"""A user's history: their renders and payments in one list, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, select, union_all

from app.extensions import db
from app.models import Payment, RenderJob, User


@dataclass(frozen=True)
class HistoryPage:
    items: list[dict]
    total: int


def _render_item(job: RenderJob) -> dict:
    return {"type": "render", "id": job.id, "status": str(job.status), "progress": job.progress,
            "title": (job.config or {}).get("title"), "formats": job.formats,
            "created_at": job.created_at,
            "completed_at": job.completed_at, "price_amount": job.price_amount,
            "price_currency": job.price_currency}


def _payment_item(payment: Payment) -> dict:
    return {"type": "payment", "id": payment.id, "render_job_id": payment.render_job_id,
            "amount": payment.amount, "currency": payment.currency, "status": str(payment.status),
            "created_at": payment.created_at, "paid_at": payment.paid_at,
            "refunded_at": payment.refunded_at}


def account_history(user: User, *, page: int, per_page: int, kind: str | None = None) -> HistoryPage:
    """The user's renders and payments in one list, newest first."""
    parts = []
    if kind in (None, "render"):
        parts.append(select(RenderJob.id.label("id"), RenderJob.created_at.label("created_at"),
                            literal("render").label("type")).where(RenderJob.user_id == user.id))
    if kind in (None, "payment"):
        parts.append(select(Payment.id.label("id"), Payment.created_at.label("created_at"),
                            literal("payment").label("type")).where(Payment.user_id == user.id))
    timeline = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    total = db.session.scalar(select(func.count()).select_from(timeline))
    rows = db.session.execute(
        select(timeline.c.id, timeline.c.type)
        .order_by(timeline.c.created_at.desc(), timeline.c.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    render_ids = [r.id for r in rows if r.type == "render"]
    payment_ids = [r.id for r in rows if r.type == "payment"]
    renders = {j.id: j for j in db.session.scalars(
        select(RenderJob).where(RenderJob.id.in_(render_ids)))} if render_ids else {}
    payments = {p.id: p for p in db.session.scalars(
        select(Payment).where(Payment.id.in_(payment_ids)))} if payment_ids else {}
    items = [_render_item(renders[r.id]) if r.type == "render" else _payment_item(payments[r.id])
             for r in rows if r.id in renders or r.id in payments]
    return HistoryPage(items=items, total=total)


