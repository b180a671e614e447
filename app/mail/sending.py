"""Sending one queued email through the configured mailer (called by ``app.mail.tasks``).

The database holds only the recipient, kind and outcome of a delivery -- never the context or
the rendered body.
"""

from __future__ import annotations

import logging
import uuid

from cryptography.fernet import InvalidToken
from jinja2 import TemplateError

from app.adapters import get_mailer
from app.adapters.email import EmailSendError
from app.extensions import db
from app.mail.rendering import render_email
from app.mail.sealing import unseal_context
from app.models import EmailDelivery, utcnow
from app.web.metrics import observe_email

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"


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

    mailer = get_mailer()
    try:
        message_id, status = mailer.send_with_status(message)
    except EmailSendError as exc:
        if not exc.retryable:
            mark_email_failed(delivery_id, exc.summary, provider_status=exc.status)
            raise EmailRejected(exc.summary) from None
        delivery.last_error = exc.summary
        delivery.provider_status = exc.status
        db.session.commit()
        observe_email(delivery.kind, "deferred")
        log.warning("email_send_deferred", extra={"delivery_id": delivery_id, "kind": delivery.kind,
                                                  "attempt": delivery.attempts, "error": exc.summary})
        raise

    delivery.status = SENT
    delivery.provider_message_id = message_id or None
    delivery.provider_status = status
    delivery.sent_at = utcnow()
    delivery.last_error = None
    db.session.commit()
    observe_email(delivery.kind, SENT)
    log.info("email_sent", extra={"delivery_id": delivery_id, "kind": delivery.kind,
                                  "provider": mailer.name, "attempt": delivery.attempts})
    return message_id


def mark_email_failed(delivery_id: str, summary: str, *,
                      provider_status: int | None = None) -> None:
    """Record the final failure of a delivery (no secret: ``summary`` is a status or a class;
    ``provider_status`` the provider's HTTP status, when it answered one)."""
    db.session.rollback()
    delivery = db.session.get(EmailDelivery, uuid.UUID(delivery_id))
    if delivery is None or delivery.status in (SENT, FAILED):
        return
    delivery.status = FAILED
    delivery.last_error = summary
    if provider_status is not None:
        delivery.provider_status = provider_status
    db.session.commit()
    observe_email(delivery.kind, FAILED)
    log.error("email_failed", extra={"delivery_id": delivery_id, "kind": delivery.kind,
                                     "attempts": delivery.attempts, "error": summary})
