"""queue_email and the send task, on in-memory twins: a recording queue and a recording mailer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.adapters.email import EmailSendError
from app.errors import ServiceUnavailable
from app.extensions import db
from app.mail.queueing import SECRET_FAILURE_TTL, queue_email
from app.mail.sending import EmailRejected
from app.mail.tasks import send_email
from app.models import EmailDelivery
from tests.support import factories

RESET_URL = "https://waveframe.example/reset-password?token=s3cret-token-value"


def _queue_reset(user, **kw) -> EmailDelivery:
    return queue_email(to=user.email, template="password_reset", kind="password_reset",
                       user_id=user.id, context={"reset_url": RESET_URL, "expires_minutes": 60}, **kw)


def test_a_queued_email_is_sent_by_its_task_and_the_context_never_travels_in_clear(unit):
    _app, twins = unit
    user = factories.make_user(email="ada@example.com")
    delivery = _queue_reset(user)
    assert delivery.status == "pending"
    (job,) = twins.dispatcher.of_task(send_email)
    assert job.args[0] == str(delivery.id) and job.args[1] == "password_reset"
    assert "s3cret-token-value" not in repr(job.args)  # sealed
    assert job.options.failure_ttl == SECRET_FAILURE_TTL  # a secret-bearing failure goes soon

    twins.dispatcher.run(job.id)
    (message,) = twins.mailer.sent
    assert message.to == "ada@example.com" and message.subject == "Reset your Waveframe password"
    assert RESET_URL in message.text and "s3cret-token-value" in message.html
    row = db.session.get(EmailDelivery, delivery.id)
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 1, "recorded-1")


def test_a_job_email_is_queued_once_per_job_and_kind(unit):
    _app, twins = unit
    job = factories.make_render_job()
    first = queue_email(to=job.user.email, template="password_changed", context={}, kind="notice",
                        user_id=job.user_id, render_job_id=job.id)
    again = queue_email(to=job.user.email, template="password_changed", context={}, kind="notice",
                        user_id=job.user_id, render_job_id=job.id)
    assert again.id == first.id
    assert len(twins.dispatcher.of_task(send_email)) == 1
    assert db.session.scalar(select(db.func.count()).select_from(EmailDelivery)) == 1


def test_a_refusal_fails_the_delivery_for_good_and_a_busy_provider_is_retried(unit):
    _app, twins = unit
    user = factories.make_user()
    refused, busy = _queue_reset(user), _queue_reset(user)
    refused_job, busy_job = twins.dispatcher.of_task(send_email)

    twins.mailer.fail_with = EmailSendError("sendgrid answered HTTP 400", retryable=False, status=400)
    with pytest.raises(EmailRejected):
        twins.dispatcher.run(refused_job.id)
    row = db.session.get(EmailDelivery, refused.id)
    assert (row.status, row.last_error) == ("failed", "sendgrid answered HTTP 400")

    twins.mailer.fail_with = EmailSendError("sendgrid answered HTTP 503", retryable=True, status=503)
    with pytest.raises(EmailSendError):  # RQ retries the task
        twins.dispatcher.run(busy_job.id)
    row = db.session.get(EmailDelivery, busy.id)
    assert (row.status, row.last_error) == ("pending", "sendgrid answered HTTP 503")
    assert twins.mailer.sent == []


def test_a_queue_outage_leaves_no_row_and_says_so(unit):
    _app, twins = unit
    user = factories.make_user()
    twins.dispatcher.fail_with = ConnectionError("redis is away")
    with pytest.raises(ServiceUnavailable):
        _queue_reset(user)
    assert db.session.scalar(select(db.func.count()).select_from(EmailDelivery)) == 0


def test_an_unknown_template_is_refused_before_anything_is_written(unit):
    _app, twins = unit
    with pytest.raises(ValueError):
        queue_email(to="x@example.com", template="no_such_template", context={}, kind="x")
    assert twins.dispatcher.jobs == {}
    assert db.session.scalar(select(db.func.count()).select_from(EmailDelivery)) == 0
