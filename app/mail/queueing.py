"""Queueing an email: record it, then enqueue its sending.

    from app.mail.queueing import queue_email
    queue_email(to=user.email, template="video_ready", context={...}, kind="video_ready",
                user_id=user.id, render_job_id=job.id)

``queue_email`` records an ``EmailDelivery`` row and enqueues ``app.mail.tasks.send_email`` on
the ``default`` queue with the context sealed (``app.mail.sealing``). With ``render_job_id`` it
is idempotent per ``(render_job_id, kind)``: a second call returns the first row and sends
nothing. Email jobs keep their result one hour, and a failed secret-bearing job (a password
reset) is dropped from the failed registry after one hour, the lifetime of its link.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, ServiceUnavailable
from app.extensions import db
from app.mail.rendering import check_template
from app.mail.sealing import seal_context
from app.mail.sending import PENDING
from app.mail.tasks import send_email
from app.models import EmailDelivery

log = logging.getLogger(__name__)

# Kinds whose message carries a secret (a one-time link): their failed jobs are kept briefly.
SECRET_BEARING_KINDS = frozenset({"password_reset"})
SECRET_FAILURE_TTL = 3600


def _existing(render_job_id, kind: str) -> EmailDelivery | None:
    return db.session.scalar(select(EmailDelivery).where(
        EmailDelivery.render_job_id == render_job_id, EmailDelivery.kind == kind,
        EmailDelivery.resend == 0))


def _next_resend(render_job_id, kind: str) -> int:
    last = db.session.scalar(select(func.max(EmailDelivery.resend)).where(
        EmailDelivery.render_job_id == render_job_id, EmailDelivery.kind == kind))
    return 0 if last is None else last + 1


def queue_email(*, to: str, template: str, context: dict[str, Any], kind: str,
                user_id=None, render_job_id=None, resend: bool = False) -> EmailDelivery:
    """Record an email and enqueue its sending; idempotent per (render_job_id, kind).

    ``resend`` (an operator's resend of a job's email) records a new delivery row numbered after
    the job's earlier ones of that kind, instead of returning the first. Commits the session.
    Raises ValueError for an unknown template, ServiceUnavailable when the queue cannot be
    reached (the row is then removed again: nothing half-written) and Conflict when two resends
    of the same email race.
    """
    check_template(template)
    number = 0
    if render_job_id is not None and resend:
        number = _next_resend(render_job_id, kind)
    elif render_job_id is not None:
        existing = _existing(render_job_id, kind)
        if existing is not None:
            log.info("email_already_queued", extra={"delivery_id": str(existing.id), "kind": kind})
            return existing
    delivery = EmailDelivery(recipient=to, kind=kind, user_id=user_id, render_job_id=render_job_id,
                             status=PENDING, attempts=0, resend=number)
    try:
        with db.session.begin_nested():
            db.session.add(delivery)
    except IntegrityError as exc:
        if resend and render_job_id is not None:
            raise Conflict("This email is being resent already.",
                           code="email_resend_in_progress") from exc
        existing = _existing(render_job_id, kind) if render_job_id is not None else None
        if existing is None:
            raise
        return existing
    db.session.commit()

    overrides = {"failure_ttl": SECRET_FAILURE_TTL} if kind in SECRET_BEARING_KINDS else {}
    try:
        send_email.enqueue(str(delivery.id), template, seal_context(context), **overrides)
    except Exception as exc:
        log.error("email_enqueue_failed", extra={"delivery_id": str(delivery.id), "kind": kind,
                                                 "error_type": type(exc).__name__})
        db.session.delete(delivery)
        db.session.commit()
        raise ServiceUnavailable("The email could not be queued; try again shortly.") from exc
    log.info("email_queued", extra={"delivery_id": str(delivery.id), "kind": kind})
    return delivery
