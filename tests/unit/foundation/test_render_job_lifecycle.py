from datetime import UTC, datetime

import pytest

from app.models import InvalidTransition, RenderJob, RenderStatus

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def job(status):
    return RenderJob(status=status)


def test_happy_path_stamps_a_timestamp_per_transition():
    j = job(RenderStatus.AWAITING_PAYMENT)
    for target, column in [(RenderStatus.QUEUED, "queued_at"), (RenderStatus.RENDERING, "started_at"),
                           (RenderStatus.COMPLETED, "completed_at"), (RenderStatus.EXPIRED, "expired_at")]:
        j.transition(target, NOW)
        assert j.status == target and getattr(j, column) == NOW


@pytest.mark.parametrize(("start", "target"), [
    (RenderStatus.COMPLETED, RenderStatus.RENDERING),
    (RenderStatus.CANCELED, RenderStatus.QUEUED),
    (RenderStatus.EXPIRED, RenderStatus.QUEUED),
    (RenderStatus.AWAITING_PAYMENT, RenderStatus.RENDERING),
])
def test_impossible_transitions_are_refused(start, target):
    with pytest.raises(InvalidTransition):
        job(start).transition(target, NOW)


def test_failed_job_may_be_queued_again_for_a_retry():
    j = job(RenderStatus.FAILED)
    j.transition(RenderStatus.QUEUED, NOW)
    assert j.status == RenderStatus.QUEUED
