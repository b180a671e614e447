"""Delivery on in-memory twins: a kept video starts its retention clock and emails a link that
never outlives it; a failed render is told once; retention deletes every object of a job that is
due, and only those."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.delivery.hooks import on_render_failed, on_video_kept
from app.delivery.job_storage import audio_key, image_key, output_key
from app.delivery.links import issue_download_link
from app.delivery.retention import expire_due_renders
from app.errors import Conflict, Gone
from app.models import RenderStatus, utcnow
from tests.support import factories


def _store(twins, tmp_path, *keys: str) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(b"x" * 10)
    for key in keys:
        twins.storage.put_file(key, blob, content_type="application/octet-stream")


def _completed(twins, tmp_path, *, completed_at=None):
    user = factories.make_user(email="ada@example.com")
    done = completed_at or utcnow()
    job = factories.make_render_job(user, status=RenderStatus.COMPLETED, started_at=done,
                                    completed_at=done,
                                    config={**factories.DEFAULT_RENDER_CONFIG, "title": "Night Drive"})
    job.output_key = output_key(user.id, job.id)
    _store(twins, tmp_path, job.output_key, job.audio_key)
    return job


def _run_emails(twins):
    for job_id in list(twins.dispatcher.jobs):
        twins.dispatcher.run(job_id)
    return twins.mailer.sent


def test_a_kept_video_gets_its_retention_clock_and_one_email_with_a_link(unit, tmp_path):
    _app, twins = unit
    job = _completed(twins, tmp_path)
    on_video_kept(job)
    on_video_kept(job)  # a retried task calls it again
    assert job.video_expires_at == job.completed_at + timedelta(days=7)
    (message,) = _run_emails(twins)
    assert message.to == "ada@example.com" and message.subject == "Your video is ready: Night Drive"
    assert f"https://storage.example/{job.output_key}?expires_in=86400" in message.text


def test_a_link_never_outlives_the_video_nor_exists_before_it(unit, tmp_path):
    _app, twins = unit
    job = _completed(twins, tmp_path, completed_at=utcnow() - timedelta(days=7) + timedelta(hours=1))
    on_video_kept(job)
    link = issue_download_link(job)
    assert link.expires_at <= job.video_expires_at
    assert "expires_in=3" in link.url  # about an hour left, not the day a link usually gets
    with pytest.raises(Gone):
        issue_download_link(job, now=job.video_expires_at)
    queued = factories.make_render_job(status=RenderStatus.QUEUED)
    with pytest.raises(Conflict):
        issue_download_link(queued)


def test_a_failed_render_is_told_once_worded_for_its_payment(unit):
    _app, twins = unit
    job = factories.make_render_job(status=RenderStatus.FAILED, error_message="The audio broke.")
    on_render_failed(job)
    on_render_failed(job)
    (message,) = _run_emails(twins)
    assert message.subject == "Your video could not be rendered: Test"
    assert "The audio broke." in message.text


def test_retention_deletes_every_object_of_a_due_job_and_nothing_else(unit, tmp_path):
    _app, twins = unit
    due = _completed(twins, tmp_path, completed_at=utcnow() - timedelta(days=8))
    due.video_expires_at = due.completed_at + timedelta(days=7)
    _store(twins, tmp_path, image_key(due.user_id, due.id, "cover"))
    kept = factories.make_render_job(status=RenderStatus.COMPLETED, completed_at=utcnow())
    kept_keys = [audio_key(kept.user_id, kept.id, "mp3"), output_key(kept.user_id, kept.id)]
    _store(twins, tmp_path, *kept_keys)

    report = expire_due_renders()
    assert (report.jobs_expired, report.objects_deleted, report.failures) == (1, 3, [])
    assert sorted(twins.storage.objects) == sorted(kept_keys)
    assert due.status == RenderStatus.EXPIRED and due.expired_at is not None
    assert expire_due_renders().jobs_expired == 0

