"""Small rules of delivery: failure-email wording by payment state, durations, retention."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.delivery.hooks import charge_state, format_duration, format_instant
from app.delivery.retention import video_expiry
from app.models import Payment, PaymentStatus, RenderJob


def _job(*statuses: PaymentStatus) -> RenderJob:
    job = RenderJob(config={}, audio_filename="a.mp3")
    job.payments = [Payment(status=s, amount=199, currency="usd") for s in statuses]
    return job


@pytest.mark.parametrize(("statuses", "state"), [
    ((), "not_charged"),                                         # payments off
    ((PaymentStatus.PENDING,), "not_charged"),
    ((PaymentStatus.EXPIRED, PaymentStatus.FAILED), "not_charged"),
    ((PaymentStatus.PAID,), "paid"),
    ((PaymentStatus.EXPIRED, PaymentStatus.PAID), "paid"),
    ((PaymentStatus.REFUNDED,), "refunded"),
])
def test_charge_state(statuses, state):
    assert charge_state(_job(*statuses)) == state


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0:00"), (2.4, "0:02"), (125, "2:05"), (3725, "1:02:05"), (None, "0:00")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_video_is_kept_the_configured_number_of_days():
    done = datetime(2026, 1, 30, 12, 0, tzinfo=UTC)
    assert video_expiry(done, {"VIDEO_RETENTION_DAYS": 7}) == datetime(2026, 2, 6, 12, 0, tzinfo=UTC)
    assert format_instant(done) == "30 January 2026, 12:00 UTC"
