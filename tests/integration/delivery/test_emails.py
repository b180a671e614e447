"""The delivery emails: sent once per job and kind, worded for the payment state."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import adapters
from app.delivery.hooks import on_render_failed, on_video_kept
from app.extensions import db
from app.models import EmailDelivery, PaymentStatus, RenderStatus, utcnow
from tests.support.gcs_emulator import endpoint_path


def _deliveries(job) -> list[EmailDelivery]:
    return list(db.session.scalars(select(EmailDelivery).where(
        EmailDelivery.render_job_id == job.id)))


def test_video_ready_email_is_sent_once_with_title_duration_and_link(
        client, local_storage, finished_job, fake_sendgrid, jobs, video_bytes):
    job = finished_job(video_expires_at=None)
    on_video_kept(job)
    on_video_kept(job)  # a retried task calls the hook again
    jobs.run()
    assert job.video_expires_at is not None
    assert (job.video_expires_at - job.completed_at).days == 7
    (mail,) = fake_sendgrid.wait_for_delivered(1)
    assert mail.subject == "Your video is ready: Night Drive"
    assert "Night Drive" in mail.text and "0:02" in mail.text
    assert "kept until" in mail.text and "(7 days)" in mail.text
    assert "<strong>Night Drive</strong>" in mail.html
    link = next(word for word in mail.text.split() if "/api/v1/files/" in word)
    assert f'href="{link}"' in mail.html
    assert client.get(endpoint_path(link)).data == video_bytes
    assert len(_deliveries(job)) == 1 and len(fake_sendgrid.requests) == 1


def test_title_is_escaped_in_the_html_part(local_storage, finished_job, fake_sendgrid, jobs):
    job = finished_job(config={"template": "bars", "title": "<script>alert(1)</script>"})
    on_video_kept(job)
    jobs.run()
    (mail,) = fake_sendgrid.wait_for_delivered(1)
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html


@pytest.mark.parametrize(("payment", "sentence"), [
    (None, "You were not charged for this render."),
    (PaymentStatus.PAID, "you can retry it from Waveframe at no extra charge."),
    (PaymentStatus.REFUNDED, "Your payment for this render has been refunded."),
])
def test_failure_email_wording_follows_the_payment(render_job_factory, payment_factory,
                                                   fake_sendgrid, jobs, payment, sentence):
    job = render_job_factory(status=RenderStatus.FAILED, failed_at=utcnow(),
                             config={"template": "bars", "title": "Night Drive"},
                             error_message="The audio could not be decoded.")
    if payment is not None:
        payment_factory(job, status=payment)
    on_render_failed(job)
    on_render_failed(job)
    jobs.run()
    (mail,) = fake_sendgrid.wait_for_delivered(1)
    assert mail.subject == "Your video could not be rendered: Night Drive"
    assert sentence in " ".join(mail.text.split())
    assert "The audio could not be decoded." in mail.text
    assert [d.kind for d in _deliveries(job)] == ["render_failed"]


def test_email_points_at_the_app_when_no_link_can_be_signed(gcs_app, app, finished_job,
                                                           fake_sendgrid, jobs):
    job = finished_job()
    app.config["GOOGLE_APPLICATION_CREDENTIALS"] = ""  # no way to sign (restored by gcs_app)
    adapters.init_app(app)
    on_video_kept(job)
    jobs.run()
    (mail,) = fake_sendgrid.wait_for_delivered(1)
    assert "X-Goog-Signature" not in mail.text
    assert "fresh download link" in mail.text and app.config["FRONTEND_URL"] in mail.text
