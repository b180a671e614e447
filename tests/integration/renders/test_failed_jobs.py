"""Requeueing from RQ's failed registry and listing its latest errors, on real Redis with the
app's worker run in-process."""

from __future__ import annotations

import pytest
from rq.registry import FailedJobRegistry

from app.errors import ApiError
from app.extensions import db, get_redis
from app.models import RenderJob, RenderStatus
from app.renders.failed_jobs import latest_failed, requeue_failed
from app.renders.queueing import queue_render
from app.tasks.queues import get_queue
from tests.support import sample_tasks


def reload(job_id) -> RenderJob:
    db.session.rollback()
    return db.session.get(RenderJob, job_id, populate_existing=True)


def failed_render(render_job_factory, jobs) -> RenderJob:
    """A render whose every attempt failed (its audio was never stored): in the dead letters."""
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    queue_render(job)
    jobs.run()
    while jobs.release_scheduled():
        jobs.run()
    job = reload(job.id)
    assert job.status == RenderStatus.FAILED
    return job


def test_a_failed_render_is_requeued_through_the_retry_path_and_reaches_the_queue(
        render_job_factory, jobs, user_factory):
    job = failed_render(render_job_factory, jobs)
    failed_id = job.rq_job_id
    operator = user_factory(is_admin=True)
    [entry] = latest_failed()
    assert (entry.job_id, entry.render_job_id, entry.queue) == (failed_id, job.id, "high")
    assert entry.error == f"app.adapters.storage.base.StorageNotFound: {job.audio_key}"
    assert entry.failed_at is not None

    result = requeue_failed(failed_id, actor_id=operator.id)

    job = reload(job.id)
    assert result.new_job_id == job.rq_job_id == f"render-{job.id}-2"
    assert job.status == RenderStatus.QUEUED and job.attempts == 2
    assert result.changes["status"] == {"before": "failed", "after": "queued"}
    assert result.changes["attempts"] == {"before": 1, "after": 2}
    assert result.changes["rq_job_id"] == {"before": failed_id, "after": job.rq_job_id}
    assert get_queue("high").get_job_ids() == [job.rq_job_id]  # on the queue
    assert failed_id not in FailedJobRegistry("high", connection=get_redis())
    assert latest_failed() == []


def test_requeueing_twice_or_an_unknown_entry_is_refused(render_job_factory, jobs):
    job = failed_render(render_job_factory, jobs)
    failed_id = job.rq_job_id
    requeue_failed(failed_id, actor_id=None)

    with pytest.raises(ApiError) as again:
        requeue_failed(failed_id, actor_id=None)

    assert again.value.status == 404 and again.value.code == "failed_job_not_found"
    assert len(get_queue("high").get_job_ids()) == 1


def test_a_failed_task_that_is_not_a_render_goes_back_on_its_queue(app_ctx, jobs):
    bad = get_queue("default").enqueue_call(sample_tasks.record, args=(), job_id="broken-task")
    jobs.run()
    assert "broken-task" in FailedJobRegistry("default", connection=get_redis())

    result = requeue_failed("broken-task", actor_id=None)

    assert result.render_job_id is None and result.changes == {}
    assert result.new_job_id in get_queue("default").get_job_ids()
    assert bad.id not in FailedJobRegistry("default", connection=get_redis())
