"""SendGrid through its official SDK; ``host`` points it at a local fake server in tests."""

from __future__ import annotations

import urllib.error

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail

from app.adapters.email.base import EmailAdapter, EmailMessage, EmailSendError

DEFAULT_HOST = "https://api.sendgrid.com"


def is_retryable_status(status: int) -> bool:
    """429 and 5xx may pass later; any other 4xx is a refusal that will not change."""
    return status == 429 or status >= 500


class SendGridEmail(EmailAdapter):
    name = "sendgrid"

    def __init__(self, api_key: str, *, host: str | None = None, timeout: float = 10.0):
        self._api_key = api_key
        self.host = (host or DEFAULT_HOST).rstrip("/")
        self.timeout = timeout

    def _client(self) -> SendGridAPIClient:
        client = SendGridAPIClient(api_key=self._api_key, host=self.host)
        client.client.timeout = self.timeout  # propagated to every request the SDK builds
        return client

    def send(self, message: EmailMessage) -> str:
        return self.send_with_status(message)[0]

    def send_with_status(self, message: EmailMessage) -> tuple[str, int | None]:
        mail = Mail(from_email=message.sender, to_emails=message.to, subject=message.subject,
                    plain_text_content=message.text, html_content=message.html)
        try:
            response = self._client().send(mail)
        except HTTPError as exc:
            status = int(exc.status_code)
            raise EmailSendError(f"sendgrid answered HTTP {status}",
                                 retryable=is_retryable_status(status), status=status) from None
        except TimeoutError:
            raise EmailSendError("sendgrid timed out", retryable=True) from None
        except urllib.error.URLError as exc:
            reason = "timed out" if isinstance(exc.reason, TimeoutError) else "unreachable"
            raise EmailSendError(f"sendgrid {reason}", retryable=True) from None
        except (ConnectionError, OSError) as exc:
            raise EmailSendError(f"sendgrid connection failed ({type(exc).__name__})",
                                 retryable=True) from None
        if not 200 <= response.status_code < 300:
            status = response.status_code
            raise EmailSendError(f"sendgrid answered HTTP {status}",
                                 retryable=is_retryable_status(status), status=status)
        return response.headers.get("X-Message-Id") or "", response.status_code
