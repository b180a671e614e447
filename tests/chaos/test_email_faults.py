"""The email provider answering 429, 500 or timing out: every order's email is delivered once."""

from __future__ import annotations

from sqlalchemy import select

from app.delivery.hooks import VIDEO_READY
from app.extensions import db
from app.mail.queueing import queue_email
from app.models import EmailDelivery, RenderStatus
from tests.support.job_runner import JobRunner

FAULTS = ("429", "500", "timeout")


def test_email_provider_429_500_and_timeouts(chaos, app, app_ctx, fake_sendgrid, user_factory,
                                             render_job_factory):
    """Each order: the provider fails its first 1-3 sends (a random mix of 429, 500 and
    timeouts); the "video ready" email is also triggered twice, as a retried render may."""
    runner = JobRunner(app)
    for _ in range(chaos.trials):
        user = user_factory()
        job = render_job_factory(user, status=RenderStatus.COMPLETED)
        faults = [chaos.rng.choice(FAULTS) for _ in range(chaos.rng.randint(1, 3))]
        for fault in faults:
            if fault == "timeout":
                fake_sendgrid.time_out_next()
            else:
                fake_sendgrid.fail_next(int(fault))
        for _trigger in range(2):
            queue_email(to=user.email, template=VIDEO_READY, kind=VIDEO_READY, user_id=user.id,
                        render_job_id=job.id, context={
                            "title": "Song", "duration": "0:02", "download_url": "",
                            "link_expires_at": "", "video_expires_at": "soon",
                            "retention_days": 7, "render_id": str(job.id)})
        runner.run()
        for _retry in range(len(faults)):  # the scheduler moves each retry when it is due
            runner.release_scheduled()
            runner.run()
        db.session.expire_all()
        rows = db.session.scalars(select(EmailDelivery).where(
            EmailDelivery.render_job_id == job.id)).all()
        delivered = [m for m in fake_sendgrid.delivered if user.email in m.to]
        detail = f"faults {faults}, rows {[r.status for r in rows]}, delivered {len(delivered)}"
        if len(delivered) > 1 or len(rows) > 1:
            chaos.record("duplicated", detail)
        elif len(delivered) == 1 and rows and rows[0].status == "sent":
            chaos.record("once", detail)
        else:
            chaos.record("lost", detail)
    chaos.assert_all_once()
