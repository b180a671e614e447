"""A local stand-in for the SendGrid v3 API: the real SDK talks to it over loopback HTTP.

It checks what SendGrid checks (bearer key, the mail/send body shape), records every request,
answers ``202`` with an ``X-Message-Id`` by default, and can be told to fail the next requests::

    def test_something(fake_sendgrid):          # app configured to send through it
        fake_sendgrid.fail_next(429)            # next request: 429, then back to 202
        fake_sendgrid.fail_next(500, times=2)
        fake_sendgrid.time_out_next()           # next request: answered after the client gave up
        ...
        fake_sendgrid.wait_for_delivered(1)     # poll with a deadline
        fake_sendgrid.delivered[0].subject, .to, .text, .html

Use it from another test folder by importing both fixtures into that folder's conftest.py::

    from tests.support.fake_sendgrid import fake_sendgrid, fake_sendgrid_server  # noqa: F401

``fake_sendgrid`` sets ``SENDGRID_API_KEY`` / ``SENDGRID_API_HOST`` / ``SENDGRID_TIMEOUT_SECONDS``
on the session ``app`` for the test (workers forked from that app inherit them) and restores
them after. ``fake_sendgrid.env`` holds the same settings as environment variables.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app import adapters

FAKE_API_KEY = "SG.fake-test-key.not-a-real-secret"
CLIENT_TIMEOUT_SECONDS = 1.0
TIMEOUT_DELAY_SECONDS = 2.5  # longer than CLIENT_TIMEOUT_SECONDS: the client gives up first


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None
    status: int
    message_id: str | None = None
    timed_out: bool = False

    def _content(self, mime: str) -> str | None:
        for part in (self.body or {}).get("content", []):
            if part.get("type") == mime:
                return part.get("value")
        return None

    @property
    def to(self) -> list[str]:
        return [r["email"] for p in (self.body or {}).get("personalizations", []) for r in p.get("to", [])]

    @property
    def subject(self) -> str | None:
        return (self.body or {}).get("subject")

    @property
    def sender(self) -> dict | None:
        return (self.body or {}).get("from")

    @property
    def text(self) -> str | None:
        return self._content("text/plain")

    @property
    def html(self) -> str | None:
        return self._content("text/html")


@dataclass
class _Scripted:
    status: int = 202
    delay: float = 0.0


@dataclass
class FakeSendGrid:
    host: str = "127.0.0.1"
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self):
        self._script: deque[_Scripted] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def env(self) -> dict[str, str]:
        return {"SENDGRID_API_KEY": FAKE_API_KEY, "SENDGRID_API_HOST": self.url,
                "SENDGRID_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT_SECONDS)}

    def fail_next(self, status: int, *, times: int = 1) -> None:
        with self._lock:
            self._script.extend(_Scripted(status=status) for _ in range(times))

    def time_out_next(self, *, times: int = 1, delay: float = TIMEOUT_DELAY_SECONDS) -> None:
        with self._lock:
            self._script.extend(_Scripted(status=202, delay=delay) for _ in range(times))

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()

    @property
    def delivered(self) -> list[RecordedRequest]:
        """Requests answered 202 in time: the messages SendGrid would deliver."""
        with self._lock:
            return [r for r in self.requests if r.status == 202 and not r.timed_out]

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} SendGrid requests, got {len(self.requests)}")

    def wait_for_delivered(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            delivered = self.delivered
            if len(delivered) >= count:
                return delivered
            time.sleep(0.02)
        raise AssertionError(f"expected {count} delivered emails, got {len(self.delivered)}")

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeSendGrid:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                fake._handle(self)

            def do_GET(self):
                fake._handle(self)

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-sendgrid")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- the API ---------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            scripted = self._script.popleft() if self._script else _Scripted()
        status, errors = scripted.status, []
        if status == 202:
            status, errors = self._validate(handler, body)
        record = RecordedRequest(method=handler.command, path=handler.path,
                                 headers=dict(handler.headers.items()), body=body, status=status,
                                 timed_out=scripted.delay > 0)
        if status == 202:
            record.message_id = uuid.uuid4().hex[:22]
        with self._lock:
            self.requests.append(record)
        if scripted.delay:
            time.sleep(scripted.delay)
        payload = b"" if status == 202 else json.dumps(
            {"errors": errors or [{"message": f"scripted failure {status}", "field": None}]}).encode()
        try:
            handler.send_response(status)
            if record.message_id:
                handler.send_header("X-Message-Id", record.message_id)
            if status == 429:
                handler.send_header("Retry-After", "1")
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a scripted timeout)

    @staticmethod
    def _validate(handler: BaseHTTPRequestHandler, body: dict | None) -> tuple[int, list[dict]]:
        if handler.command != "POST" or handler.path != "/v3/mail/send":
            return 404, [{"message": f"no route {handler.command} {handler.path}", "field": None}]
        if handler.headers.get("Authorization", "") != f"Bearer {FAKE_API_KEY}":
            return 401, [{"message": "The provided authorization grant is invalid", "field": None}]
        errors = []
        if not isinstance(body, dict):
            return 400, [{"message": "Bad Request", "field": None}]
        personalizations = body.get("personalizations") or []
        if not personalizations or not all(p.get("to") for p in personalizations):
            errors.append({"message": "The to array is required", "field": "personalizations.0.to"})
        if not (body.get("from") or {}).get("email"):
            errors.append({"message": "The from email is required", "field": "from.email"})
        if not body.get("subject"):
            errors.append({"message": "The subject is required", "field": "subject"})
        contents = body.get("content") or []
        if not contents or any(not c.get("value") for c in contents):
            errors.append({"message": "The content value must be a string at least one character "
                                      "in length", "field": "content.0.value"})
        return (400, errors) if errors else (202, [])


@pytest.fixture(scope="session")
def fake_sendgrid_server():
    server = FakeSendGrid().start()
    yield server
    server.stop()


@pytest.fixture
def fake_sendgrid(fake_sendgrid_server, app):
    """The fake server, with the app sending through it for this test."""
    keys = ("SENDGRID_API_KEY", "SENDGRID_API_HOST", "SENDGRID_TIMEOUT_SECONDS")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(SENDGRID_API_KEY=FAKE_API_KEY, SENDGRID_API_HOST=fake_sendgrid_server.url,
                      SENDGRID_TIMEOUT_SECONDS=CLIENT_TIMEOUT_SECONDS)
    adapters.init_app(app)  # the mailer is chosen from the configuration
    fake_sendgrid_server.reset()
    yield fake_sendgrid_server
    fake_sendgrid_server.reset()
    for key, value in saved.items():
        if value is None:
            app.config.pop(key, None)
        else:
            app.config[key] = value
    adapters.init_app(app)
