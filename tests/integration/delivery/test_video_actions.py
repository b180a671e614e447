"""The operator's actions on a finished video: delete what is stored, resend its email."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.adapters import get_storage
from app.delivery.hooks import on_video_kept
from app.delivery.video_actions import delete_stored_video, resend_video_ready_email
from app.errors import ApiError
from app.extensions import db
from app.models import EmailDelivery, RenderJob, RenderStatus


def _reload(job) -> RenderJob:
    db.session.expire_all()
    return db.session.get(RenderJob, job.id)


def test_deleting_the_video_removes_the_objects_records_it_and_download_answers_410(
        client, local_storage, finished_job, auth_headers, user_factory):
    job = finished_job()
    operator = user_factory(is_admin=True)
    assert client.get(f"/api/v1/renders/{job.id}/download",
                      headers=auth_headers(job.user)).status_code == 200

    result = delete_stored_video(job.id, actor_id=operator.id)

    assert result.objects_deleted == 2  # the video and the uploaded audio
    assert result.changes["status"] == {"before": "completed", "after": "expired"}
    assert result.changes["video_deleted_at"]["before"] is None
    assert not get_storage().exists(job.output_key)
    assert list(get_storage().list(f"uploads/{job.user_id}/{job.id}/")) == []
    job = _reload(job)
    assert job.status == RenderStatus.EXPIRED and job.video_deleted_at is not None
    response = client.get(f"/api/v1/renders/{job.id}/download", headers=auth_headers(job.user))
    assert response.status_code == 410
    assert response.json["error"]["code"] == "video_deleted"


def test_only_a_completed_render_has_a_video_to_delete(local_storage, render_job_factory):
    job = render_job_factory(status=RenderStatus.QUEUED)

    with pytest.raises(ApiError) as refused:
        delete_stored_video(job.id, actor_id=None)

    assert refused.value.status == 409 and refused.value.code == "invalid_render_state"


def test_a_storage_failure_leaves_the_row_as_it_was(gcs_app, gcs, finished_job):
    job = finished_job()
    gcs.proxy.fail_next(10, status=503)

    with pytest.raises(ApiError) as failed:
        delete_stored_video(job.id, actor_id=None)

    assert failed.value.status == 502 and failed.value.code == "storage_error"
    gcs.proxy.reset()
    job = _reload(job)
    assert job.status == RenderStatus.COMPLETED and job.video_deleted_at is None
    assert get_storage().exists(job.output_key)


def test_resending_the_video_ready_email_makes_a_new_delivery_and_sends_it_again(
        local_storage, finished_job, fake_sendgrid, jobs, user_factory):
    job = finished_job()
    on_video_kept(job)
    jobs.run()
    fake_sendgrid.wait_for_delivered(1)
    operator = user_factory(is_admin=True)

    first = resend_video_ready_email(job.id, actor_id=operator.id)
    second = resend_video_ready_email(job.id, actor_id=operator.id)
    jobs.run()

    assert (first.resend, second.resend) == (1, 2)
    assert first.recipient == job.user.email
    mails = fake_sendgrid.wait_for_delivered(3)
    assert [m.subject for m in mails] == ["Your video is ready: Night Drive"] * 3
    deliveries = db.session.scalars(select(EmailDelivery).where(
        EmailDelivery.render_job_id == job.id).order_by(EmailDelivery.resend)).all()
    db.session.expire_all()
    assert [(d.resend, d.status, d.attempts) for d in deliveries] == [
        (0, "sent", 1), (1, "sent", 1), (2, "sent", 1)]


def test_resending_for_a_render_that_is_not_completed_is_refused(local_storage,
                                                                  render_job_factory):
    job = render_job_factory(status=RenderStatus.FAILED)

    with pytest.raises(ApiError) as refused:
        resend_video_ready_email(job.id, actor_id=None)

    assert refused.value.status == 409
    assert db.session.scalars(select(EmailDelivery)).all() == []


def test_each_delivery_records_the_providers_refusal_status(local_storage, finished_job,
                                                            fake_sendgrid, jobs):
    job = finished_job()
    fake_sendgrid.fail_next(400)
    on_video_kept(job)

    jobs.run()

    db.session.expire_all()
    [delivery] = db.session.scalars(select(EmailDelivery)).all()
    assert (delivery.status, delivery.attempts, delivery.provider_status) == ("failed", 1, 400)
