"""Transactional email: queue a message, then send it from a worker through the configured adapter.

    from app.services.email import queue_email
    queue_email(to=user.email, template="video_ready", context={...}, kind="video_ready",
                user_id=user.id, render_job_id=job.id)

``queue_email`` records an ``EmailDelivery`` row and enqueues ``app.tasks.email.send_email`` on
the ``default`` queue. With ``render_job_id`` it is idempotent per ``(render_job_id, kind)``: a
second call returns the first row and sends nothing.

Templates (``app/templates/email/``, see README there): ``<name>.subject.txt`` (one line),
``<name>.txt`` and ``<name>.html``, rendered with Jinja by the worker from ``context`` plus
``app_name`` and ``frontend_url``.

Where the content lives while a send is pending: the database holds only the recipient, kind
and outcome -- never the context or the rendered body. The context travels in the RQ job's
arguments *encrypted* (Fernet, key derived from ``SECRET_KEY``), so Redis, the failed-job
registry and RQ's own log lines only ever hold ciphertext; email jobs keep their result one hour,
and a failed secret-bearing job (a password reset) is dropped from the failed registry after one
hour, the lifetime of its link.

Adapter choice: SendGrid when ``SENDGRID_API_KEY`` is set (``SENDGRID_API_HOST`` overrides the
API host), else the outbox folder ``OUTBOX_DIR``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from jinja2 import TemplateError, TemplateNotFound
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.adapters import get_mailer
from app.adapters.email import EmailMessage, EmailSendError
from app.errors import ServiceUnavailable
from app.extensions import db
from app.models import EmailDelivery, utcnow

log = logging.getLogger(__name__)

TEMPLATE_DIR = "email"
# Kinds whose message carries a secret (a one-time link): their failed jobs are kept briefly.
SECRET_BEARING_KINDS = frozenset({"password_reset"})
SECRET_FAILURE_TTL = 3600

PENDING, SENT, FAILED = "pending", "sent", "failed"


# -- adapter -------------------------------------------------------------------------------

# -- sealing the context -------------------------------------------------------------------

def _fernet() -> Fernet:
    digest = hashlib.sha256(b"waveframe-email-context:" + current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def seal_context(context: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(context, default=str).encode()).decode()


def unseal_context(sealed: str) -> dict[str, Any]:
    return json.loads(_fernet().decrypt(sealed.encode()))


# -- rendering -----------------------------------------------------------------------------

def _template_names(template: str) -> tuple[str, str, str]:
    base = f"{TEMPLATE_DIR}/{template}"
    return f"{base}.subject.txt", f"{base}.txt", f"{base}.html"


def check_template(template: str) -> None:
    """Raise ValueError unless the three files of ``template`` exist."""
    env = current_app.jinja_env
    for name in _template_names(template):
        try:
            env.get_template(name)
        except TemplateNotFound as exc:
            raise ValueError(f"email template file {name!r} does not exist") from exc


def render_email(template: str, context: dict[str, Any], *, to: str) -> EmailMessage:
    env = current_app.jinja_env
    full_context = {"app_name": "Waveframe", "frontend_url": current_app.config["FRONTEND_URL"],
                    **context}
    subject_name, text_name, html_name = _template_names(template)
    subject = " ".join(env.get_template(subject_name).render(full_context).split())
    return EmailMessage(sender=current_app.config["MAIL_FROM"], to=to, subject=subject,
                        text=env.get_template(text_name).render(full_context),
                        html=env.get_template(html_name).render(full_context))


# -- queueing ------------------------------------------------------------------------------

def _existing(render_job_id, kind: str) -> EmailDelivery | None:
    return db.session.scalar(select(EmailDelivery).where(
        EmailDelivery.render_job_id == render_job_id, EmailDelivery.kind == kind))


def queue_email(*, to: str, template: str, context: dict[str, Any], kind: str,
                user_id=None, render_job_id=None) -> EmailDelivery:
    """Record an email and enqueue its sending; idempotent per (render_job_id, kind).

    Commits the session. Raises ValueError for an unknown template and ServiceUnavailable when
    the queue cannot be reached (the row is then removed again: nothing half-written).
    """
    check_template(template)
    if render_job_id is not None:
        existing = _existing(render_job_id, kind)
        if existing is not None:
            log.info("email_already_queued", extra={"delivery_id": str(existing.id), "kind": kind})
            return existing
    delivery = EmailDelivery(recipient=to, kind=kind, user_id=user_id, render_job_id=render_job_id,
                             status=PENDING, attempts=0)
    try:
        with db.session.begin_nested():
            db.session.add(delivery)
    except IntegrityError:
        existing = _existing(render_job_id, kind) if render_job_id is not None else None
        if existing is None:
            raise
        return existing
    db.session.commit()

    from app.tasks.email import send_email
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


# -- sending (called by the task) ----------------------------------------------------------

class EmailRejected(Exception):
    """The message will never go out as is (provider 4xx, broken template, unreadable context)."""


def deliver_email(delivery_id: str, template: str, sealed_context: str) -> str | None:
    """Send one queued email; returns the provider's message id.

    Raises EmailSendError when the provider may accept it later (the task retries) and
    EmailRejected when it never will (the row is marked failed).
    """
    delivery = db.session.get(EmailDelivery, uuid.UUID(delivery_id))
    if delivery is None:
        log.warning("email_delivery_missing", extra={"delivery_id": delivery_id})
        return None
    if delivery.status == SENT:
        return delivery.provider_message_id
    delivery.attempts += 1
    db.session.commit()

    try:
        message = render_email(template, unseal_context(sealed_context), to=delivery.recipient)
    except (InvalidToken, TemplateError, ValueError) as exc:
        summary = f"email could not be rendered ({type(exc).__name__})"
        mark_email_failed(delivery_id, summary)
        raise EmailRejected(summary) from None

    adapter = get_mailer()
    try:
        message_id = adapter.send(message)
    except EmailSendError as exc:
        if not exc.retryable:
            mark_email_failed(delivery_id, exc.summary)
            raise EmailRejected(exc.summary) from None
        delivery.last_error = exc.summary
        db.session.commit()
        log.warning("email_send_deferred", extra={"delivery_id": delivery_id, "kind": delivery.kind,
                                                  "attempt": delivery.attempts, "error": exc.summary})
        raise

    delivery.status = SENT
    delivery.provider_message_id = message_id or None
    delivery.sent_at = utcnow()
    delivery.last_error = None
    db.session.commit()
    log.info("email_sent", extra={"delivery_id": delivery_id, "kind": delivery.kind,
                                  "provider": adapter.name, "attempt": delivery.attempts})
    return message_id


def mark_email_failed(delivery_id: str, summary: str) -> None:
    """Record the final failure of a delivery (no secret: ``summary`` is a status or a class)."""
    db.session.rollback()
    delivery = db.session.get(EmailDelivery, uuid.UUID(delivery_id))
    if delivery is None or delivery.status in (SENT, FAILED):
        return
    delivery.status = FAILED
    delivery.last_error = summary
    db.session.commit()
    log.error("email_failed", extra={"delivery_id": delivery_id, "kind": delivery.kind,
                                     "attempts": delivery.attempts, "error": summary})
