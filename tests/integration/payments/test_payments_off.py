"""Payments off (no STRIPE_SECRET_KEY, the embedded default)."""

from __future__ import annotations

import logging

from app.models import RenderStatus
from tests.integration.payments.helpers import checkout, payments_of, reload


def test_checkout_answers_409_with_a_clear_message(client, user_factory, render_job_factory,
                                                   auth_headers):
    user = user_factory()
    job = render_job_factory(user, status=RenderStatus.AWAITING_PAYMENT)

    response = checkout(client, job, auth_headers(user))

    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "payments_disabled"
    assert "Payments are turned off" in error["message"]
    assert "queued as soon as they are created" in error["message"]
    assert payments_of(job) == []
    assert reload(job).status == RenderStatus.AWAITING_PAYMENT


def _records(caplog, event):
    return [r for r in caplog.records if r.getMessage() == event]


def test_start_up_says_once_that_payments_are_off(make_app, app, caplog):
    with caplog.at_level(logging.INFO):
        make_app()

    [record] = _records(caplog, "payments_disabled")
    assert record.levelno == logging.WARNING
    assert "STRIPE_SECRET_KEY" in record.reason
    assert _records(caplog, "payments_enabled") == []


def test_start_up_with_a_key_does_not_say_payments_are_off(make_stripe_app, caplog):
    with caplog.at_level(logging.INFO):
        make_stripe_app()

    assert _records(caplog, "payments_disabled") == []
    assert len(_records(caplog, "payments_enabled")) == 1
