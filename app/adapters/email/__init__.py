"""Email: SendGrid in production, an outbox folder of ``.eml`` files in the embedded default."""

from app.adapters.email.base import EmailAdapter, EmailMessage, EmailSendError

__all__ = ["EmailAdapter", "EmailMessage", "EmailSendError"]
