"""The console's dashboard, order page and actions, as the pages show them: numbers parsed from
the HTML of the admin home on seeded rows, the order page with Redis down, and each action
(refund, requeue, delete the video, resend the email) done by an operator, audited, and refused
to a viewer with 403."""

from __future__ import annotations

import re
from html import unescape

import pytest
import redis

from app.extensions import db
from app.models import AuditEvent, EmailDelivery, Payment, RenderJob, RenderStatus, utcnow
from app.renders.queueing import queue_render
from app.tasks.queues import get_queue
from tests.integration.admin.console import csrf_token, log_in, make_admin, page_token
from tests.support import dashboard_seed, factories, sample_tasks
from tests.support.private_redis import PrivateRedis


def shown(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{re.escape(name)}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no {name} on the page"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def row_cells(html: str, name: str) -> list[str]:
    match = re.search(rf'<tr data-testid="{re.escape(name)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {name} on the page"
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


def test_the_dashboard_shows_the_seeded_numbers(operator_client, clean_storage, tmp_path):
    dashboard_seed.seed(utcnow())
    blob = tmp_path / "blob"
    blob.write_bytes(b"x" * 1234)
    clean_storage.put_file("renders/u/v.mp4", blob, content_type="video/mp4")
    sample_tasks.record.enqueue("a")
    sample_tasks.record.enqueue("b")
    sample_tasks.record.enqueue("c", queue="high")

    page = operator_client.get("/admin/")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    for name, value in dashboard_seed.EXPECTED.items():
        assert shown(html, name) == value, name
    for template, (renders, median, p95) in dashboard_seed.SPEED.items():
        assert row_cells(html, f"speed-{template}") == [template, renders, median, p95]
    for currency, values in dashboard_seed.MONEY.items():
        assert row_cells(html, f"money-{currency}") == [currency.upper(), *values]
    assert (shown(html, "queue-high"), shown(html, "queue-default"), shown(html, "queue-low")) \
        == ("1", "2", "0")
    assert (shown(html, "storage-bytes"), shown(html, "storage-objects")) == ("1234", "1")
    assert shown(html, "failed-count") == "0"
    assert "<svg" in html and "Renders and failures per hour, last 7 days" in html
    assert "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'data-testid="unavailable"' not in html


@pytest.fixture
def queue_refused(make_app, app, tmp_path, app_ctx):
    """An app on a Redis of its own that can be told to refuse every key but the console's
    sessions: the queue reads fail as with Redis away, while the operator stays logged in. (With
    all of Redis away the console fails closed, 503: its sessions live there.)"""
    private = PrivateRedis(tmp_path / "redis").start()
    own = make_app(REDIS_URL=private.url, RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"])
    conn = redis.Redis.from_url(private.url)

    def refuse_queue() -> None:
        prefix = own.config["REDIS_KEY_PREFIX"]
        conn.execute_command("ACL", "SETUSER", "default", "resetkeys", f"~{prefix}admin-session:*")

    with own.app_context():
        yield own, refuse_queue
        db.session.remove()
    conn.close()
    private.stop()


def test_with_the_queue_unreadable_dashboard_and_order_page_say_unavailable(queue_refused,
                                                                          operator):
    own, refuse_queue = queue_refused
    client = own.test_client()
    assert log_in(client, operator.email).status_code == 302
    job = factories.make_render_job(status=RenderStatus.FAILED, rq_job_id="render-x-1",
                                    failed_at=utcnow())
    refuse_queue()

    home = client.get("/admin/")
    order = client.get(f"/admin/orders/{job.id}")

    assert home.status_code == 200
    html = home.get_data(as_text=True)
    for section in ("queue-depths", "workers", "failures"):
        part = html.split(f'data-testid="{section}"', 1)[1][:600]
        assert "Unavailable" in part and "Redis cannot be reached" in part, section
    assert shown(html, "status-failed") == "1"  # the database's sections are there
    assert order.status_code == 200
    html = order.get_data(as_text=True)
    assert " ".join(shown(html, "order-unavailable").split()).startswith(
        "Unavailable now: the queue (RQ).")
    rq = html.split('data-testid="order-rq"', 1)[1][:600]
    assert "Unavailable" in rq and "Redis cannot be reached" in rq
    assert shown(html, "order-status").startswith("failed")


def test_with_redis_down_the_console_fails_closed_with_503(redis_down):
    page = redis_down.test_client().get("/admin/")
    assert page.status_code in (302, 503)  # no session to read: the login page, or 503


def test_a_failed_job_is_requeued_from_the_dashboard_and_audited(operator_client, jobs):
    user = factories.make_user()
    job = factories.make_render_job(user, status=RenderStatus.AWAITING_PAYMENT)
    queue_render(job)
    jobs.run()  # the audio was never stored: the attempt fails; RQ retries, then gives up
    while jobs.release_scheduled():
        jobs.run()
    db.session.expire_all()
    job = db.session.get(RenderJob, job.id)
    assert job.status == RenderStatus.FAILED and jobs.failed_job_ids() == [job.rq_job_id]
    failed_id = job.rq_job_id

    html = operator_client.get("/admin/").get_data(as_text=True)
    assert shown(html, "failed-count") == "1" and f'data-testid="failed-{failed_id}"' in html
    no_token = operator_client.post(f"/admin/failed/{failed_id}/requeue")
    assert no_token.status_code == 400 and jobs.failed_job_ids() == [failed_id]
    done = operator_client.post(f"/admin/failed/{failed_id}/requeue",
                                data={"csrf_token": csrf_token(html)})

    assert done.status_code == 302
    db.session.expire_all()
    job = db.session.get(RenderJob, job.id)
    assert job.status == RenderStatus.QUEUED and job.rq_job_id != failed_id
    assert jobs.failed_job_ids() == []
    assert job.rq_job_id in get_queue(job.priority).get_job_ids()
    [event] = AuditEvent.query.filter_by(action="render.requeue_failed").all()
    assert event.target_id == str(job.id)
    assert event.before["status"] == "failed" and event.after["status"] == "queued"
    assert event.before["failed_job"] == failed_id
    assert "Requeued" in operator_client.get("/admin/").get_data(as_text=True)


@pytest.fixture
def stripe_operator(pay_ctx, paid_job):
    """An operator logged in to the payments-on app, and a paid payment of 2.99 USD."""
    job, _session = paid_job
    make_admin("olga.operator@example.com", "operator")
    client = pay_ctx.test_client()
    assert log_in(client, "olga.operator@example.com").status_code == 302
    return client, Payment.query.filter_by(render_job_id=job.id).one()


def test_a_partial_refund_reaches_stripe_shows_as_partial_and_is_audited(fake_stripe,
                                                                        stripe_operator):
    client, payment = stripe_operator
    form = client.get(f"/admin/payments/{payment.id}/refund")
    assert form.status_code == 200 and "Reason" in form.get_data(as_text=True)
    token = csrf_token(form.get_data(as_text=True))
    missing = client.post(f"/admin/payments/{payment.id}/refund",
                          data={"csrf_token": token, "amount": "100", "reason": ""})
    assert missing.status_code == 422 and fake_stripe.requests_to("POST", "/v1/refunds") == []
    too_much = client.post(f"/admin/payments/{payment.id}/refund",
                           data={"csrf_token": token, "amount": "5000", "reason": "x"})
    assert too_much.status_code == 422 and "left to refund" in too_much.get_data(as_text=True)

    done = client.post(f"/admin/payments/{payment.id}/refund",
                       data={"csrf_token": token, "amount": "100", "reason": "one frame glitched"})

    assert done.status_code == 302
    [request] = fake_stripe.requests_to("POST", "/v1/refunds")
    assert request.params["amount"] == "100"
    assert request.params["payment_intent"] == payment.payment_intent_id
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).refund_state == "partially_refunded"
    [event] = AuditEvent.query.filter_by(action="payment.refund").all()
    assert event.reason == "one frame glitched" and event.target_id == str(payment.id)
    assert event.before["refunded_amount"] == 0 and event.after["refunded_amount"] == 100
    listing = client.get("/admin/payments/").get_data(as_text=True)
    assert "partially refunded" in listing
    order = client.get(f"/admin/orders/{payment.render_job_id}").get_data(as_text=True)
    assert shown(order, "payment-state") == "partially refunded"
    assert shown(order, "payment-refunded") == "1.00 USD"
    assert "payment.refund" in order and "one frame glitched" in order


def test_delete_video_and_resend_email_from_the_order_page_are_audited(
        operator_client, finished_job, fake_sendgrid):
    job = finished_job()
    token = page_token(operator_client, f"/admin/orders/{job.id}")

    resent = operator_client.post(f"/admin/renders/{job.id}/resend-email",
                                  data={"csrf_token": token})
    deleted = operator_client.post(f"/admin/renders/{job.id}/delete-video",
                                   data={"csrf_token": token})

    assert resent.status_code == deleted.status_code == 302
    [email] = EmailDelivery.query.filter_by(render_job_id=job.id).all()
    assert email.kind == "video_ready" and email.recipient == job.user.email
    db.session.expire_all()
    job = db.session.get(RenderJob, job.id)
    assert job.status == RenderStatus.EXPIRED and job.video_deleted_at is not None
    actions = {e.action: e for e in AuditEvent.query.filter_by(target_id=str(job.id))}
    assert set(actions) == {"render.resend_email", "render.delete_video"}
    assert actions["render.delete_video"].before["status"] == "completed"
    assert actions["render.delete_video"].after["status"] == "expired"
    order = operator_client.get(f"/admin/orders/{job.id}").get_data(as_text=True)
    assert "render.delete_video" in order and "render.resend_email" in order
    assert job.user.email in order.split('data-testid="order-emails"', 1)[1]


def test_a_viewer_sees_the_pages_and_every_action_answers_403(viewer_client, finished_job):
    job = finished_job()
    payment = factories.make_payment(job, status="paid", paid_at=utcnow(),
                                     payment_intent_id="pi_test_viewer")
    for path in ("/admin/", f"/admin/orders/{job.id}", "/admin/payments/", "/admin/renders/"):
        page = viewer_client.get(path)
        assert page.status_code == 200, path
        assert "Refund…" not in page.get_data(as_text=True)
    token = page_token(viewer_client, "/admin/")
    refused = [
        viewer_client.get(f"/admin/payments/{payment.id}/refund"),
        viewer_client.post(f"/admin/payments/{payment.id}/refund",
                           data={"csrf_token": token, "amount": "1", "reason": "x"}),
        viewer_client.post(f"/admin/failed/render-{job.id}-1/requeue", data={"csrf_token": token}),
        viewer_client.post(f"/admin/renders/{job.id}/requeue", data={"csrf_token": token}),
        viewer_client.post(f"/admin/renders/{job.id}/delete-video", data={"csrf_token": token}),
        viewer_client.post(f"/admin/renders/{job.id}/resend-email", data={"csrf_token": token}),
    ]
    for action in ("requeue", "delete_video", "resend_email", "retry", "cancel"):
        refused.append(viewer_client.post("/admin/renders/action/", data={
            "csrf_token": token, "action": action, "rowid": str(job.id)}))
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert AuditEvent.query.filter(AuditEvent.action.notin_(["login"])).count() == 0
    db.session.expire_all()
    assert db.session.get(RenderJob, job.id).status == RenderStatus.COMPLETED


def test_list_actions_refuse_per_row_and_act_on_the_rest(operator_client, finished_job,
                                                         fake_sendgrid):
    done = finished_job()
    queued = factories.make_render_job(status=RenderStatus.QUEUED)
    token = page_token(operator_client, "/admin/renders/")

    page = operator_client.post("/admin/renders/action/", follow_redirects=True, data={
        "csrf_token": token, "action": "delete_video", "rowid": [str(done.id), str(queued.id)]})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Deleted the video: 1 row(s)." in html
    assert f"Refused — {queued.id}: The render is queued" in html
    db.session.expire_all()
    assert db.session.get(RenderJob, done.id).status == RenderStatus.EXPIRED
    assert db.session.get(RenderJob, queued.id).status == RenderStatus.QUEUED
    assert [e.target_id for e in AuditEvent.query.filter_by(action="render.delete_video")] == [
        str(done.id)]
