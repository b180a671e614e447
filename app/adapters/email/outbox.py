"""The embedded default: each message becomes an ``.eml`` file under the outbox folder.

Open the files with any mail client (or read them: they are plain MIME). The subject and the
recipient are logged; the body, which may hold a secret link, is only in the file.
"""

from __future__ import annotations

import email.message
import email.utils
import logging
import os
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

from app.adapters.email.base import EmailAdapter, EmailMessage, EmailSendError

log = logging.getLogger(__name__)


class OutboxEmail(EmailAdapter):
    name = "outbox"

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> str:
        message_id = f"outbox-{uuid.uuid4().hex}"
        mime = email.message.EmailMessage()
        mime["From"] = message.sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
        mime["Message-ID"] = f"<{message_id}@waveframe.outbox>"
        mime.set_content(message.text)
        mime.add_alternative(message.html, subtype="html")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}-{message_id}.eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".writing-")
            with os.fdopen(fd, "wb") as out:
                out.write(mime.as_bytes())
            os.replace(tmp, path)
        except OSError as exc:
            raise EmailSendError(f"outbox write failed ({type(exc).__name__})", retryable=True) from None
        log.info("email_written_to_outbox", extra={"to": message.to, "subject": message.subject,
                                                   "file": path.name})
        return message_id
