"""Email: SendGrid when ``SENDGRID_API_KEY`` is set (``SENDGRID_API_HOST`` overrides the API
host), otherwise an outbox folder of ``.eml`` files (``OUTBOX_DIR``, the embedded default)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.adapters.email.base import EmailAdapter, EmailMessage, EmailSendError
from app.adapters.email.outbox import OutboxEmail

__all__ = ["EmailAdapter", "EmailMessage", "EmailSendError", "build_mailer"]

DEFAULT_SENDGRID_TIMEOUT = 10.0


def build_mailer(config: Mapping[str, Any]) -> EmailAdapter:
    if config.get("SENDGRID_API_KEY"):
        # the SendGrid SDK is only needed when a key is configured
        from app.adapters.email.sendgrid import SendGridEmail
        return SendGridEmail(config["SENDGRID_API_KEY"], host=config.get("SENDGRID_API_HOST") or None,
                             timeout=float(config.get("SENDGRID_TIMEOUT_SECONDS",
                                                      DEFAULT_SENDGRID_TIMEOUT)))
    return OutboxEmail(config["OUTBOX_DIR"])
