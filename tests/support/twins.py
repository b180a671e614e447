"""In-memory twins of the adapters and of the task dispatcher, for the unit tests of the rules.

    app, twins = unit_app(tmp_path)      # in-memory SQLite; no Redis, no HTTP, no outside service
    with app.app_context():
        ... call a service ...
        twins.dispatcher.tasks()         # what would have gone onto the queues
        twins.dispatcher.run(job_id)     # perform one of them here, as a worker would

The real adapters are tested against real servers (or the local fakes of Stripe and SendGrid)
in tests/integration; these twins only keep what was asked of them. Redis points at a closed
port, so anything that still reached for it would fail the test.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from app import adapters, create_app
from app.adapters.billing import Billing, CheckoutRequest, CheckoutSession, Refund
from app.adapters.email import EmailAdapter, EmailMessage, EmailSendError
from app.adapters.storage import ObjectInfo, Storage, StorageNotFound
from app.config import TestConfig
from app.extensions import db
from app.models import utcnow
from app.tasks.jobs import Dispatcher, TaskOptions, install_dispatcher

CLOSED_REDIS = "redis://127.0.0.1:9/0"  # nothing listens there: a unit test never needs Redis


class MemoryStorage(Storage):
    name = "memory"

    def __init__(self):
        self.objects: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}

    def put_file(self, key: str, path: Path, *, content_type: str,
                 download_name: str | None = None) -> ObjectInfo:
        self.objects[key] = Path(path).read_bytes()
        self.content_types[key] = content_type
        return self.stat(key)

    def download_to(self, key: str, path: Path) -> Path:
        if key not in self.objects:
            raise StorageNotFound(key)
        Path(path).write_bytes(self.objects[key])
        return Path(path)

    def stat(self, key: str) -> ObjectInfo:
        if key not in self.objects:
            raise StorageNotFound(key)
        return ObjectInfo(key=key, size=len(self.objects[key]), content_type=self.content_types[key])

    def delete(self, key: str) -> bool:
        self.content_types.pop(key, None)
        return self.objects.pop(key, None) is not None

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return iter([self.stat(key) for key in sorted(self.objects) if key.startswith(prefix)])

    def download_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        if key not in self.objects:
            raise StorageNotFound(key)
        return f"https://storage.example/{key}?expires_in={expires_in}"


class FakeBilling(Billing):
    """Sessions and refunds kept in dicts; ``refund_status`` is what a new refund reports."""

    name = "fake"

    def __init__(self):
        self.sessions: dict[str, CheckoutSession] = {}
        self.refunds: dict[str, Refund] = {}  # by idempotency key: asking twice refunds once
        self.refund_status = "succeeded"
        self._ids = itertools.count(1)

    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        number = next(self._ids)
        session = CheckoutSession(id=f"cs_fake_{number}", url=f"https://pay.example/{number}",
                                  status="open", payment_status="unpaid",
                                  expires_at=utcnow() + timedelta(hours=24),
                                  amount_total=request.amount, currency=request.currency,
                                  metadata=dict(request.metadata))
        self.sessions[session.id] = session
        return session

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        return self.sessions[session_id]

    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        self.sessions[session_id] = replace(self.sessions[session_id], status="expired")
        return self.sessions[session_id]

    def create_refund(self, *, payment_intent_id: str, idempotency_key: str,
                      metadata: dict[str, str], amount: int | None = None) -> Refund:
        if idempotency_key not in self.refunds:
            self.refunds[idempotency_key] = Refund(id=f"re_fake_{next(self._ids)}",
                                                   status=self.refund_status,
                                                   payment_intent_id=payment_intent_id,
                                                   amount=amount)
        return self.refunds[idempotency_key]

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> dict[str, Any]:
        raise NotImplementedError("webhooks are tested with Stripe's real signing scheme")


class RecordingMailer(EmailAdapter):
    """Keeps each message; while ``fail_with`` is set, sending raises it instead."""

    name = "recording"

    def __init__(self):
        self.sent: list[EmailMessage] = []
        self.fail_with: EmailSendError | None = None

    def send(self, message: EmailMessage) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
        return f"recorded-{len(self.sent)}"


@dataclass
class RecordedJob:
    """What would have been put on a queue: the task, its arguments and its options."""

    id: str
    func: Callable[..., Any]
    args: tuple
    kwargs: dict
    options: TaskOptions
    origin: str = field(init=False)
    timeout: int = field(init=False)

    def __post_init__(self):
        self.origin, self.timeout = self.options.queue, self.options.timeout

    @property
    def task(self) -> str:
        return f"{self.func.__module__}.{self.func.__name__}"


class RecordingDispatcher(Dispatcher):
    """Records what services enqueue instead of sending it to Redis; ``fail_with`` makes the
    next enqueue raise (a queue outage)."""

    def __init__(self):
        self.jobs: dict[str, RecordedJob] = {}
        self.fail_with: Exception | None = None
        self._ids = itertools.count(1)

    def enqueue(self, func, args, kwargs, options, *, job_id=None, at_front=False, meta=None):
        if self.fail_with is not None:
            raise self.fail_with
        job_id = job_id or f"recorded-{next(self._ids)}"
        self.jobs[job_id] = RecordedJob(job_id, func, tuple(args), dict(kwargs), options)
        return self.jobs[job_id]

    def fetch(self, job_id):
        return self.jobs.get(job_id) if job_id else None

    def delete(self, job_id) -> bool:
        return self.jobs.pop(job_id, None) is not None if job_id else False

    def tasks(self) -> list[str]:
        return [job.task for job in self.jobs.values()]

    def of_task(self, task: Callable[..., Any]) -> list[RecordedJob]:
        return [job for job in self.jobs.values() if job.func is task]

    def run(self, job_id: str) -> Any:
        """Perform a recorded job here, as a worker would (without RQ's retries)."""
        job = self.jobs.pop(job_id)
        return job.func(*job.args, **job.kwargs)


@dataclass
class Twins:
    storage: MemoryStorage
    billing: FakeBilling
    mailer: RecordingMailer
    dispatcher: RecordingDispatcher


def unit_app(tmp_path: Path, **overrides) -> tuple[Flask, Twins]:
    """An app on an in-memory SQLite database, with every adapter and the queue replaced."""
    config = TestConfig(SQLALCHEMY_DATABASE_URI="sqlite://", REDIS_URL=CLOSED_REDIS,
                        RATELIMIT_STORAGE_URI="memory://", STORAGE_LOCAL_ROOT=str(tmp_path / "storage"),
                        OUTBOX_DIR=str(tmp_path / "outbox"), RENDER_TMP_DIR=str(tmp_path / "tmp"),
                        PASSWORD_HASH_TIME_COST=1, PASSWORD_HASH_MEMORY_KIB=1024,
                        FRONTEND_URL="https://waveframe.example", **overrides)
    app = create_app(config)
    twins = Twins(MemoryStorage(), FakeBilling(), RecordingMailer(), RecordingDispatcher())
    adapters.install(app, storage=twins.storage, billing=twins.billing, mailer=twins.mailer)
    install_dispatcher(app, twins.dispatcher)
    with app.app_context():
        db.create_all()
    return app, twins
