"""Email outcomes and the send task's queue wait, as /metrics shows them."""

from __future__ import annotations

from app.mail.queueing import queue_email
from tests.support.metrics import scrape


def _queue_reset(user):
    return queue_email(to=user.email, template="password_reset", kind="password_reset",
                       context={"reset_url": "http://127.0.0.1:5000/reset-password?token=t",
                                "expires_minutes": 60}, user_id=user.id)


def emails(client, result: str) -> float:
    return scrape(client).value("waveframe_emails_total", kind="password_reset", result=result)


def test_sent_deferred_and_failed_emails_are_counted_by_kind(client, user_factory, jobs,
                                                              fake_sendgrid):
    _queue_reset(user_factory())
    jobs.run()
    assert emails(client, "sent") == 1

    fake_sendgrid.fail_next(500)
    _queue_reset(user_factory())
    jobs.run()
    assert emails(client, "deferred") == 1 and emails(client, "sent") == 1
    jobs.release_scheduled()
    jobs.run()
    assert emails(client, "sent") == 2

    fake_sendgrid.fail_next(400)
    _queue_reset(user_factory())
    jobs.run()
    assert emails(client, "failed") == 1
    assert emails(client, "deferred") == 1 and emails(client, "sent") == 2


def test_the_send_task_records_how_long_it_waited_on_its_queue(client, user_factory, jobs):
    _queue_reset(user_factory())
    jobs.run()
    result = scrape(client)
    labels = {"queue": "default", "task": "send_email"}
    assert result.value("waveframe_queue_wait_seconds_count", **labels) == 1
    assert 0 <= result.value("waveframe_queue_wait_seconds_sum", **labels) < 60
