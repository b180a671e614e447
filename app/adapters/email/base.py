"""The email interface every adapter implements."""

from __future__ import annotations

import abc
from dataclasses import dataclass


@dataclass(frozen=True)
class EmailMessage:
    """A rendered message: plain-text and HTML parts of the same content."""

    sender: str
    to: str
    subject: str
    text: str
    html: str


class EmailSendError(Exception):
    """The provider did not accept the message.

    ``retryable`` is True for what may pass later (429, 5xx, timeouts, connection errors) and
    False for a refusal that will not change (other 4xx). ``summary`` is short and safe to log
    and store: a status or error class, never the message body or the provider's answer.
    """

    def __init__(self, summary: str, *, retryable: bool, status: int | None = None):
        super().__init__(summary)
        self.summary = summary
        self.retryable = retryable
        self.status = status


class EmailAdapter(abc.ABC):
    name: str

    @abc.abstractmethod
    def send(self, message: EmailMessage) -> str:
        """Hand the message to the provider; return its message id (raises EmailSendError)."""

    def send_with_status(self, message: EmailMessage) -> tuple[str, int | None]:
        """``send``, also returning the provider's HTTP status (None when it has none)."""
        return self.send(message), None
