"""Everything every system knows about one render, read live, for the order page.

``build_order_report(job_id, audit_events=...)`` joins the database row (and the state history
its timestamps give), the RQ job of its current attempt, each payment with its Checkout Session
as Stripe sees it now, the stored video, each email delivery and the audit events touching the
job. A section whose outside system cannot be reached (Redis, Stripe, the storage, the audit
source) is an ``Unavailable`` marker; building the report never raises for them.

State history: no table records status changes. The row keeps one timestamp per status entered
(``queued_at``, ``started_at``, ``completed_at``, ``failed_at``, ``canceled_at``,
``expired_at``; ``paid_at``), and a new attempt overwrites ``queued_at``/``started_at``, so the
history is the latest time each status was entered, not every transition.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.adapters import get_billing, get_storage
from app.adapters.storage import StorageNotFound
from app.admin.availability import Unavailable, read_section
from app.extensions import db
from app.models import EmailDelivery, Payment, RenderJob
from app.tasks.failures import exc_text_of, last_lines
from app.tasks.jobs import fetch_job

AUDIT_TARGET = "render_job"
HISTORY_COLUMNS = (("created", "created_at"), ("awaiting_payment", None), ("paid", "paid_at"),
                   ("queued", "queued_at"), ("rendering", "started_at"),
                   ("completed", "completed_at"), ("failed", "failed_at"),
                   ("canceled", "canceled_at"), ("expired", "expired_at"),
                   ("video_deleted", "video_deleted_at"))


@dataclass(frozen=True)
class StateChange:
    state: str  # created | paid | queued | rendering | completed | failed | canceled | expired
    at: datetime


@dataclass(frozen=True)
class JobRecord:
    id: uuid.UUID
    user_id: uuid.UUID
    user_email: str
    status: str
    progress: int
    eta_seconds: int | None
    attempts: int
    priority: str
    rq_job_id: str | None
    cancel_requested: bool
    error_code: str | None
    error_message: str | None
    template: str | None
    config: dict
    audio_filename: str
    audio_duration: float
    output_key: str | None
    output_size: int | None
    output_duration: float | None
    price_amount: int | None
    price_currency: str | None
    created_at: datetime
    updated_at: datetime
    video_expires_at: datetime | None
    video_deleted_at: datetime | None


@dataclass(frozen=True)
class RQJobInfo:
    job_id: str
    found: bool  # False: Redis has no such job (done and expired, or lost)
    status: str | None = None  # queued | started | finished | failed | scheduled | ...
    queue: str | None = None
    worker: str | None = None
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    exc_text: str | None = None  # the traceback's last lines, when it failed


@dataclass(frozen=True)
class RefundLine:
    id: uuid.UUID
    amount: int
    reason: str
    status: str
    stripe_refund_id: str | None
    actor_id: uuid.UUID | None
    created_at: datetime


@dataclass(frozen=True)
class StripeSession:
    id: str
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_total: int | None
    currency: str | None
    payment_intent_id: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class PaymentLine:
    id: uuid.UUID
    status: str
    refund_state: str  # status, or partially_refunded
    amount: int
    currency: str
    refunded_amount: int
    checkout_session_id: str
    payment_intent_id: str | None
    created_at: datetime
    paid_at: datetime | None
    refunded_at: datetime | None
    refunds: list[RefundLine]
    stripe: StripeSession | Unavailable  # the session as Stripe sees it now


@dataclass(frozen=True)
class StoredObject:
    key: str
    exists: bool
    size: int | None = None
    content_type: str | None = None
    updated: datetime | None = None
    last_link_expires_at: datetime | None = None  # None: no link issued (or before recording)


@dataclass(frozen=True)
class EmailLine:
    id: uuid.UUID
    kind: str
    resend: int
    recipient: str
    status: str  # pending | sent | failed
    attempts: int
    provider_status: int | None  # HTTP status of the provider's last refusal
    provider_message_id: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class OrderReport:
    job: JobRecord
    history: list[StateChange]  # oldest first, from the row's timestamps (see module doc)
    rq_job: RQJobInfo | Unavailable | None  # None: the job never had an attempt
    payments: list[PaymentLine]
    stored_video: StoredObject | Unavailable | None  # None: no video was stored
    emails: list[EmailLine]
    audit_events: list[dict] | Unavailable | None  # None: no audit source given
    unavailable: list[str] = field(default_factory=list)  # the sections that are Unavailable


def build_order_report(job_id: uuid.UUID | str, *,
                       audit_events: Callable[[str, str], list[dict]] | None = None
                       ) -> OrderReport | None:
    """The order page of render ``job_id``, or None when there is no such job.

    ``audit_events(target_type, target_id)`` (``"render_job"``, the job id as a string) returns
    the audit rows touching the job, newest first, as plain dicts.
    """
    try:
        job_uuid = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
    except ValueError:
        return None
    job = db.session.get(RenderJob, job_uuid)
    if job is None:
        return None
    rq_job = read_section("rq_job", lambda: _rq_job(job.rq_job_id)) if job.rq_job_id else None
    stored = read_section("stored_video", lambda: _stored(job)) if job.output_key else None
    audit = (read_section("audit_events", lambda: list(audit_events(AUDIT_TARGET, str(job.id))))
             if audit_events is not None else None)
    payments = _payments(job)
    unavailable = [name for name, value in (("rq_job", rq_job), ("stored_video", stored),
                                            ("audit_events", audit)) if isinstance(value, Unavailable)]
    unavailable += [f"stripe:{p.checkout_session_id}" for p in payments
                    if isinstance(p.stripe, Unavailable)]
    return OrderReport(job=_record(job), history=_history(job), rq_job=rq_job, payments=payments,
                       stored_video=stored, emails=_emails(job), audit_events=audit,
                       unavailable=unavailable)


def _record(job: RenderJob) -> JobRecord:
    config = dict(job.config or {})
    return JobRecord(
        id=job.id, user_id=job.user_id, user_email=job.user.email, status=str(job.status),
        progress=job.progress, eta_seconds=job.eta_seconds, attempts=job.attempts,
        priority=job.priority, rq_job_id=job.rq_job_id, cancel_requested=job.cancel_requested,
        error_code=job.error_code, error_message=job.error_message,
        template=config.get("template"), config=config, audio_filename=job.audio_filename,
        audio_duration=job.audio_duration, output_key=job.output_key,
        output_size=job.output_size, output_duration=job.output_duration,
        price_amount=job.price_amount, price_currency=job.price_currency,
        created_at=job.created_at, updated_at=job.updated_at,
        video_expires_at=job.video_expires_at, video_deleted_at=job.video_deleted_at)


def _history(job: RenderJob) -> list[StateChange]:
    changes = [StateChange(state, getattr(job, column)) for state, column in HISTORY_COLUMNS
               if column and getattr(job, column) is not None]
    return sorted(changes, key=lambda c: c.at)


def _rq_job(rq_job_id: str) -> RQJobInfo:
    rq = fetch_job(rq_job_id)
    if rq is None:
        return RQJobInfo(job_id=rq_job_id, found=False)
    status = rq.get_status()
    status = getattr(status, "value", status)
    exc = last_lines(exc_text_of(rq), 6) if status == "failed" else None
    return RQJobInfo(job_id=rq.id, found=True, status=str(status) if status else None,
                     queue=rq.origin or None, worker=rq.worker_name,
                     enqueued_at=rq.enqueued_at, started_at=rq.started_at, ended_at=rq.ended_at,
                     exc_text=exc)


def _stripe_session(session_id: str) -> StripeSession:
    session = get_billing().retrieve_checkout_session(session_id)
    return StripeSession(id=session.id, status=session.status,
                         payment_status=session.payment_status,
                         amount_total=session.amount_total, currency=session.currency,
                         payment_intent_id=session.payment_intent_id,
                         expires_at=session.expires_at)


def _payments(job: RenderJob) -> list[PaymentLine]:
    payments = db.session.scalars(select(Payment).where(Payment.render_job_id == job.id)
                                  .order_by(Payment.created_at)).all()
    return [PaymentLine(
        id=p.id, status=str(p.status), refund_state=p.refund_state, amount=p.amount,
        currency=p.currency, refunded_amount=p.refunded_amount or 0,
        checkout_session_id=p.checkout_session_id, payment_intent_id=p.payment_intent_id,
        created_at=p.created_at, paid_at=p.paid_at, refunded_at=p.refunded_at,
        refunds=[RefundLine(id=r.id, amount=r.amount, reason=r.reason, status=str(r.status),
                            stripe_refund_id=r.stripe_refund_id, actor_id=r.actor_id,
                            created_at=r.created_at) for r in p.refunds],
        stripe=read_section("stripe", lambda p=p: _stripe_session(p.checkout_session_id)))
        for p in payments]


def _stored(job: RenderJob) -> StoredObject:
    try:
        info = get_storage().stat(job.output_key)
    except StorageNotFound:
        return StoredObject(key=job.output_key, exists=False,
                            last_link_expires_at=job.last_link_expires_at)
    return StoredObject(key=job.output_key, exists=True, size=info.size,
                        content_type=info.content_type, updated=info.updated,
                        last_link_expires_at=job.last_link_expires_at)


def _emails(job: RenderJob) -> list[EmailLine]:
    rows = db.session.scalars(select(EmailDelivery).where(EmailDelivery.render_job_id == job.id)
                              .order_by(EmailDelivery.created_at, EmailDelivery.resend)).all()
    return [EmailLine(id=e.id, kind=e.kind, resend=e.resend, recipient=e.recipient,
                      status=e.status, attempts=e.attempts, provider_status=e.provider_status,
                      provider_message_id=e.provider_message_id, last_error=e.last_error,
                      created_at=e.created_at, sent_at=e.sent_at) for e in rows]


__all__ = ["OrderReport", "build_order_report"]
