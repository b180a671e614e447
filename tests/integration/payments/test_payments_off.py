"""Payments off (no STRIPE_SECRET_KEY, the embedded default)."""

from __future__ import annotations

import logging
import uuid

import pytest

from app.extensions import db
from app.models import RenderJob, RenderStatus
from tests.integration.payments.helpers import (
    checkout,
    payments_of,
    queued_rq_job_ids,
    reload,
    upload,
)


def test_an_upload_is_queued_at_once_with_nothing_to_pay(client, user_factory, auth_headers, clip):
    user = user_factory()

    created = upload(client, auth_headers(user), clip, {"template": "bars", "size": "1280x720"})

    assert created.status_code == 201, created.json
    assert created.json["status"] == "queued"
    job = reload(db.session.get(RenderJob, uuid.UUID(created.json["id"])))
    assert job.status == RenderStatus.QUEUED and job.attempts == 1
    assert queued_rq_job_ids() == [f"render-{job.id}-1"]
    assert payments_of(job) == []


@pytest.mark.parametrize("status", [RenderStatus.QUEUED, RenderStatus.AWAITING_PAYMENT])
def test_checkout_answers_409_with_a_clear_message(client, user_factory, render_job_factory,
                                                   auth_headers, status):
    # Queued: what payments off makes. Awaiting payment: a job made before payments were
    # turned off (a restart without the key).
    user = user_factory()
    job = render_job_factory(user, status=status)

    response = checkout(client, job, auth_headers(user))

    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "payments_disabled"
    assert "Payments are turned off" in error["message"]
    assert "queued as soon as they are created" in error["message"]
    assert payments_of(job) == []
    assert reload(job).status == status


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
