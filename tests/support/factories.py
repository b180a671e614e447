"""Factories for the models: valid rows with sensible defaults, any field overridable."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

from app.extensions import db
from app.models import Payment, PaymentStatus, RenderJob, RenderStatus, User, utcnow

_counter = itertools.count(1)
# A real hash of "correct horse battery staple" would cost ~100 ms; tests that log in set
# the password through the accounts service instead.
PLACEHOLDER_HASH = "!unusable"

DEFAULT_RENDER_CONFIG = {"template": "bars", "size": "1280x720", "fps": 30, "title": "Test",
                         "artist": "", "trim_start": 0, "trim_end": None, "options": {}}


def make_user(**fields) -> User:
    n = next(_counter)
    fields.setdefault("email", f"user{n}@example.com")
    fields.setdefault("password_hash", PLACEHOLDER_HASH)
    user = User(**fields)
    db.session.add(user)
    db.session.commit()
    return user


def make_render_job(user: User | None = None, **fields) -> RenderJob:
    user = user or make_user()
    job_id = fields.pop("id", None) or uuid.uuid4()
    fields.setdefault("status", RenderStatus.QUEUED)
    fields.setdefault("config", dict(DEFAULT_RENDER_CONFIG))
    fields.setdefault("audio_key", f"uploads/{user.id}/{job_id}/audio.mp3")
    fields.setdefault("audio_filename", "song.mp3")
    fields.setdefault("audio_duration", 2.0)
    fields.setdefault("price_amount", 199)
    fields.setdefault("price_currency", "usd")
    if fields["status"] != RenderStatus.AWAITING_PAYMENT:
        fields.setdefault("queued_at", utcnow())
    job = RenderJob(id=job_id, user_id=user.id, **fields)
    db.session.add(job)
    db.session.commit()
    return job


def make_payment(job: RenderJob | None = None, **fields) -> Payment:
    job = job or make_render_job(status=RenderStatus.AWAITING_PAYMENT)
    fields.setdefault("checkout_session_id", f"cs_test_{uuid.uuid4().hex}")
    fields.setdefault("amount", job.price_amount or 199)
    fields.setdefault("currency", job.price_currency or "usd")
    fields.setdefault("status", PaymentStatus.PENDING)
    fields.setdefault("checkout_expires_at", utcnow() + timedelta(hours=1))
    payment = Payment(user_id=job.user_id, render_job_id=job.id, **fields)
    db.session.add(payment)
    db.session.commit()
    return payment
