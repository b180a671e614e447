"""The maintenance side of render jobs: the reconciler's verdicts, the unpaid-upload sweep and
the temp-file cleanup (each called as its periodic task calls it)."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from rq.job import JobStatus

from app.adapters import get_storage
from app.extensions import db
from app.models import RenderJob, RenderStatus, utcnow
from app.renders import recovery as render_recovery
from app.renders.queueing import queue_render
from app.tasks.jobs import fetch_job
from app.tasks.queues import get_queue
from app.tasks.schedule import enqueue_due_tasks, periodic_tasks
from tests.integration.renders.conftest import gcs_settings, upload
from tests.support import render_media


def reload(job_id) -> RenderJob:
    db.session.rollback()
    return db.session.get(RenderJob, job_id, populate_existing=True)


def stored_under(user_id, job_id) -> list[str]:
    """Every object under the job's prefixes, found by listing (no file is named)."""
    return sorted(o.key for prefix in (f"uploads/{user_id}/{job_id}", f"renders/{user_id}/{job_id}")
                  for o in get_storage().list(prefix))


@pytest.fixture
def no_grace(app, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_RECONCILE_GRACE_SECONDS", 0)


# -- the reconciler ------------------------------------------------------------------------

def test_reconciler_leaves_healthy_jobs_alone(app_ctx, render_job_factory, no_grace):
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    queue_render(job)
    rq_job_id = job.rq_job_id
    assert render_recovery.reconcile_render_jobs() == {"checked": 1, "requeued": 0, "failed": 0}
    job = reload(job.id)
    assert (job.status, job.attempts, job.rq_job_id) == ("queued", 1, rq_job_id)
    assert fetch_job(rq_job_id).get_status() == "queued"
    assert get_queue("high").get_job_ids() == [rq_job_id]  # not pushed a second time


def test_reconciler_gives_up_on_a_job_out_of_attempts(app_ctx, render_job_factory, no_grace):
    worn = render_job_factory(status=RenderStatus.RENDERING, attempts=5, rq_job_id="render-gone-5",
                              started_at=utcnow() - timedelta(hours=1))
    assert render_recovery.reconcile_render_jobs() == {"checked": 1, "requeued": 0, "failed": 1}
    worn = reload(worn.id)
    assert worn.status == "failed" and worn.error_code == "render_crashed"
    assert worn.attempts == 5  # no new attempt; the owner is told it failed
    queued = [j.func_name for name in ("high", "default", "low") for j in get_queue(name).jobs]
    assert queued == ["app.mail.tasks.send_email"]


def _cancel_in_rq(rq_job) -> None:
    rq_job.cancel()  # an operator's `rq` command: RQ says canceled, Postgres was never told


def _fail_in_rq(rq_job) -> None:
    rq_job.set_status(JobStatus.FAILED)  # failed in RQ, its failure callback never reached the row


@pytest.mark.parametrize("end_in_rq", [_cancel_in_rq, _fail_in_rq], ids=["canceled", "failed"])
def test_reconciler_requeues_an_attempt_that_ended_in_rq_without_the_row(
        app_ctx, render_job_factory, no_grace, end_in_rq):
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    queue_render(job)
    first = fetch_job(job.rq_job_id)
    end_in_rq(first)
    assert reload(job.id).status == "queued"  # what the owner sees, forever, without the reconciler

    assert render_recovery.reconcile_render_jobs() == {"checked": 1, "requeued": 1, "failed": 0}
    job = reload(job.id)
    assert (job.status, job.attempts, job.rq_job_id) == ("queued", 2, f"render-{job.id}-2")
    assert fetch_job(first.id) is None  # the orphaned attempt is gone from RQ
    second = fetch_job(job.rq_job_id)
    assert second.get_status() == "queued" and second.args == (str(job.id), 2)
    assert render_recovery.reconcile_render_jobs()["requeued"] == 0  # once


# -- the unpaid-upload sweep ---------------------------------------------------------------

RADIAL = {"template": "radial", "size": "720x720", "fps": 24}


@pytest.fixture(params=["local", "gcs"])
def paying_storage_app(request, make_paying_app):
    """A payments-on app storing on local disk or in the GCS emulator."""
    if request.param == "local":
        return request.getfixturevalue("paying_app")
    gcs = request.getfixturevalue("gcs")
    key_path = request.getfixturevalue("signing_key")[1]
    return make_paying_app(**gcs_settings(gcs, key_path))


def test_unpaid_uploads_leave_nothing_of_the_job_after_the_retention(
        app_ctx, paying_storage_app, user_factory, auth_headers, media, render_job_factory, tmp_path):
    images = {name: render_media.image_bytes("PNG", (64, 64)) for name in ("background", "cover", "logo")}
    with paying_storage_app.app_context():
        client = paying_storage_app.test_client()
        user = user_factory()
        # two different requests (an identical one would get the first job back: render cache)
        created = [upload(client, auth_headers(user), media["mp3"], config={**RADIAL, "title": f"Take {n}"},
                          **images) for n in range(2)]
        assert [r.status_code for r in created] == [201, 201], created[0].json
        assert {r.json["status"] for r in created} == {"awaiting_payment"}
        old, recent = (uuid.UUID(r.json["id"]) for r in created)
        assert len(stored_under(user.id, old)) == 4  # the audio and three images
        db.session.get(RenderJob, old).created_at = utcnow() - timedelta(hours=25)
        paid = render_job_factory(user, status=RenderStatus.QUEUED,
                                  created_at=utcnow() - timedelta(hours=25))
        source = tmp_path / "paid.mp3"
        source.write_bytes(media["mp3"].read_bytes())
        get_storage().put_file(paid.audio_key, source, content_type="audio/mpeg")
        db.session.commit()

        assert render_recovery.delete_unpaid_uploads() == 1
        assert stored_under(user.id, old) == []
        if paying_storage_app.config["STORAGE_BACKEND"] == "local":
            root = paying_storage_app.config["STORAGE_LOCAL_ROOT"]
            assert not os.path.exists(os.path.join(root, "uploads", str(user.id), str(old)))
        assert reload(old).status == "expired" and reload(old).expired_at is not None
        assert len(stored_under(user.id, recent)) == 4 and reload(recent).status == "awaiting_payment"
        assert stored_under(user.id, paid.id) == [paid.audio_key]
        assert render_recovery.delete_unpaid_uploads() == 0  # nothing left to do the second time


# -- temp files and the schedule -----------------------------------------------------------

def test_temp_cleanup_keeps_what_is_in_use(app_ctx, render_job_factory, render_tmp):
    running = render_job_factory(status=RenderStatus.RENDERING)
    done = render_job_factory(status=RenderStatus.COMPLETED)
    folders = {
        "stale upload": render_tmp / "uploads" / "tmpabc",
        "running work": render_tmp / "work" / f"{running.id}-xyz",
        "dead work": render_tmp / "work" / f"{done.id}-xyz",
        "queued output": render_tmp / "outputs" / str(running.id),
        "finished output": render_tmp / "outputs" / str(done.id),
    }
    for path in folders.values():
        path.mkdir(parents=True)
        os.utime(path, (0, 0))
    removed = render_recovery.cleanup_render_temp_files()
    assert removed == {"uploads": 1, "work": 1, "outputs": 1}
    assert folders["running work"].exists() and folders["queued output"].exists()
    assert not folders["dead work"].exists() and not folders["finished output"].exists()


def test_maintenance_tasks_are_enqueued_on_the_high_queue(app_ctx, redis_conn):
    mine = {"app.renders.maintenance.reconcile_renders", "app.renders.maintenance.clean_render_temp_files",
            "app.renders.maintenance.delete_unpaid_render_uploads"}
    assert mine <= {entry.func_path for entry in periodic_tasks()}
    assert mine <= set(enqueue_due_tasks())
    assert not mine & set(enqueue_due_tasks())  # not again within the period
    assert mine == {job.func_name for job in get_queue("high").jobs}
