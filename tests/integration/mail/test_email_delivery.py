"""queue_email + the send task, through the outbox folder and through the real SendGrid SDK."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from app.errors import ServiceUnavailable
from app.extensions import db, get_redis
from app.mail.queueing import queue_email
from app.mail.tasks import RETRY_INTERVALS
from app.models import EmailDelivery

RESET_URL = "http://127.0.0.1:5000/reset-password?token=very-secret-reset-token-123456"


def _queue_reset(user, **kw):
    return queue_email(to=user.email, template="password_reset", kind="password_reset",
                       context={"reset_url": RESET_URL, "expires_minutes": 60}, user_id=user.id, **kw)


def _row(delivery_id) -> EmailDelivery:
    db.session.expire_all()
    return db.session.get(EmailDelivery, delivery_id)


def _logged(capsys) -> tuple[str, list[dict]]:
    """What the app wrote to stderr: the raw text and the JSON log entries."""
    err = capsys.readouterr().err
    entries = []
    for line in err.splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return err, entries


def _outbox_files(app) -> list[Path]:
    return sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))


def test_outbox_adapter_writes_eml_with_both_parts_and_logs_subject(app, user_factory, jobs, capsys):
    before = set(_outbox_files(app))
    user = user_factory(email="ada@example.com")
    delivery = _queue_reset(user)
    assert _row(delivery.id).status == "pending"

    jobs.run()

    row = _row(delivery.id)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert row.provider_message_id.startswith("outbox-")
    new_files = [p for p in _outbox_files(app) if p not in before]
    assert len(new_files) == 1 and row.provider_message_id in new_files[0].name
    message = email.message_from_bytes(new_files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Reset your Waveframe password"
    assert RESET_URL in message.get_body(("plain",)).get_content()
    assert 'href="http://127.0.0.1:5000/reset-password?token=' in message.get_body(("html",)).get_content()
    err, entries = _logged(capsys)
    outbox_logs = [e for e in entries if e["event"] == "email_written_to_outbox"]
    assert outbox_logs and outbox_logs[0]["to"] == "ada@example.com"
    assert outbox_logs[0]["subject"] == "Reset your Waveframe password"
    assert "very-secret-reset-token" not in err


def test_queue_email_is_idempotent_per_render_job_and_kind(app, render_job_factory, jobs, fake_sendgrid):
    job = render_job_factory()
    first = queue_email(to=job.user.email, template="password_changed", context={}, kind="notice",
                        user_id=job.user_id, render_job_id=job.id)
    second = queue_email(to=job.user.email, template="password_changed", context={}, kind="notice",
                         user_id=job.user_id, render_job_id=job.id)
    assert first.id == second.id
    assert jobs.queued_count() == 1
    assert db.session.scalar(select(db.func.count()).select_from(EmailDelivery)) == 1
    jobs.run()
    assert len(fake_sendgrid.wait_for_delivered(1)) == 1
    queue_email(to=job.user.email, template="password_changed", context={}, kind="notice",
                user_id=job.user_id, render_job_id=job.id)
    assert jobs.queued_count() == 0


def test_sendgrid_adapter_sends_both_parts_with_the_key(app, user_factory, jobs, fake_sendgrid):
    user = user_factory(email="grace@example.com")
    delivery = _queue_reset(user)
    jobs.run()
    (sent,) = fake_sendgrid.wait_for_delivered(1)
    assert sent.headers["Authorization"] == "Bearer " + fake_sendgrid.env["SENDGRID_API_KEY"]
    assert sent.to == ["grace@example.com"]
    assert sent.sender == {"email": "no-reply@waveframe.local", "name": "Waveframe"}
    assert sent.subject == "Reset your Waveframe password"
    assert RESET_URL in sent.text and "Choose a new password" in sent.html
    row = _row(delivery.id)
    assert row.status == "sent" and row.provider_message_id == sent.message_id


def test_429_then_202_is_retried_with_backoff_and_delivered_once(app, user_factory, jobs, fake_sendgrid):
    fake_sendgrid.fail_next(429)
    delivery = _queue_reset(user_factory())
    jobs.run()

    row = _row(delivery.id)
    assert row.status == "pending" and row.attempts == 1 and "429" in row.last_error
    (due,) = jobs.scheduled().values()
    assert due > datetime.now(UTC) + timedelta(seconds=5)  # backoff, not an immediate retry
    assert fake_sendgrid.delivered == []

    assert jobs.release_scheduled() == 1
    jobs.run()
    assert len(fake_sendgrid.delivered) == 1
    assert len(fake_sendgrid.requests) == 2
    row = _row(delivery.id)
    assert row.status == "sent" and row.attempts == 2 and row.last_error is None
    assert jobs.scheduled() == {} and jobs.failed_job_ids() == []


def test_timeout_is_retried(app, user_factory, jobs, fake_sendgrid):
    fake_sendgrid.time_out_next()
    delivery = _queue_reset(user_factory())
    jobs.run()
    row = _row(delivery.id)
    assert row.status == "pending" and "timed out" in row.last_error
    jobs.release_scheduled()
    jobs.run()
    assert _row(delivery.id).status == "sent"
    assert len(fake_sendgrid.delivered) == 1


def test_400_is_not_retried_and_recorded(app, user_factory, jobs, fake_sendgrid, capsys):
    fake_sendgrid.fail_next(400)
    delivery = _queue_reset(user_factory())
    jobs.run()
    row = _row(delivery.id)
    assert row.status == "failed" and row.attempts == 1
    assert row.last_error == "sendgrid answered HTTP 400"
    assert len(fake_sendgrid.requests) == 1
    assert jobs.scheduled() == {}
    assert len(jobs.failed_job_ids()) == 1
    err, entries = _logged(capsys)
    assert any(e["event"] == "email_failed" for e in entries)
    assert "very-secret-reset-token" not in err


def test_5xx_until_the_last_attempt_fails_for_good_without_leaking_the_link(
        app, user_factory, jobs, fake_sendgrid, capsys):
    attempts = len(RETRY_INTERVALS) + 1
    fake_sendgrid.fail_next(500, times=attempts)
    delivery = _queue_reset(user_factory())
    jobs.run()
    for _ in range(len(RETRY_INTERVALS)):
        assert jobs.release_scheduled() == 1
        jobs.run()
    row = _row(delivery.id)
    assert row.status == "failed" and row.attempts == attempts
    assert row.last_error == "sendgrid answered HTTP 500"
    assert len(fake_sendgrid.requests) == attempts and fake_sendgrid.delivered == []
    assert jobs.scheduled() == {}
    err, entries = _logged(capsys)
    failed = [e for e in entries if e["event"] == "email_failed"]
    assert len(failed) == 1 and failed[0]["delivery_id"] == str(delivery.id)
    assert "very-secret-reset-token" not in err
    # the failed job of a secret-bearing email does not linger in the failed registry
    (job_id,) = jobs.failed_job_ids()
    registry_key = "rq:failed:default"
    assert get_redis().zscore(registry_key, job_id) <= datetime.now(UTC).timestamp() + 3600 + 5


def test_unknown_template_is_refused_and_writes_nothing(app, user_factory, jobs):
    user = user_factory()
    with pytest.raises(ValueError):
        queue_email(to=user.email, template="no_such_template", context={}, kind="x", user_id=user.id)
    assert db.session.scalar(select(db.func.count()).select_from(EmailDelivery)) == 0
    assert jobs.queued_count() == 0


def test_unreachable_queue_leaves_no_row(app, user_factory):
    user = user_factory()
    real = app.extensions["redis"]
    app.extensions["redis"] = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        with pytest.raises(ServiceUnavailable):
            _queue_reset(user)
    finally:
        app.extensions["redis"] = real
    assert db.session.scalar(select(db.func.count()).select_from(EmailDelivery)) == 0
