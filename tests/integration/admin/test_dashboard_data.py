"""The admin home's numbers on seeded rows with fixed timestamps (real Postgres and Redis), and
each Redis section unavailable -- not an exception -- when Redis cannot be reached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq import Worker

from app.admin.availability import Unavailable
from app.admin.dashboard_data import (
    HOURS,
    Money,
    QueueWait,
    StorageUsed,
    TemplateSpeed,
    build_dashboard,
)
from app.extensions import db, get_redis
from app.models import PaymentRefund, PaymentStatus, RenderStatus
from app.tasks.queues import get_queue
from tests.support import factories, sample_tasks
from tests.support.job_runner import JobRunner

NOW = datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
H = timedelta(hours=1)
S = timedelta(seconds=1)


def _job(user, status, *, template="bars", created=NOW - H, queued=None, started=None,
         completed=None, failed=None, output=None):
    return factories.make_render_job(
        user, status=status, created_at=created, queued_at=queued, started_at=started,
        completed_at=completed, failed_at=failed, output_duration=output,
        config={**factories.DEFAULT_RENDER_CONFIG, "template": template})


def seed_renders():
    user = factories.make_user()
    a_start = NOW - 10 * 60 * S - 30 * S
    _job(user, RenderStatus.COMPLETED, queued=a_start - 10 * S, started=a_start,
         completed=a_start + 30 * S, output=60.0)  # rtf 2.0, wait 10 s, done 12:20
    b_start = NOW - 3 * H
    _job(user, RenderStatus.COMPLETED, queued=b_start - 20 * S, started=b_start,
         completed=NOW - 2 * H, output=3600.0)  # rtf 1.0 (1 h of video in 1 h), done 10:30
    d_start = NOW - H - 5 * 60 * S
    _job(user, RenderStatus.FAILED, queued=d_start - 30 * S, started=d_start,
         failed=NOW - H)  # wait 30 s, failed 11:30
    _job(user, RenderStatus.QUEUED, queued=NOW - 60 * S)
    f_start = NOW - 5 * 60 * S
    _job(user, RenderStatus.RENDERING, queued=f_start - 40 * S, started=f_start)  # wait 40 s
    c_start = NOW - 25 * H - 10 * S  # created more than 24 h ago
    _job(user, RenderStatus.COMPLETED, template="waves", created=NOW - 26 * H,
         queued=c_start - 5 * S, started=c_start, completed=NOW - 25 * H, output=30.0)  # rtf 3
    _job(user, RenderStatus.FAILED, created=NOW - 9 * 24 * H, queued=NOW - 9 * 24 * H,
         started=NOW - 9 * 24 * H, failed=NOW - 8 * 24 * H)  # outside every window


def seed_money():
    user = factories.make_user()
    p1 = factories.make_payment(factories.make_render_job(user, price_amount=299),
                                status=PaymentStatus.PAID, amount=299, paid_at=NOW - 5 * 24 * H)
    p2 = factories.make_payment(factories.make_render_job(user, price_amount=500),
                                status=PaymentStatus.PAID, amount=500, paid_at=NOW - 40 * 24 * H)
    factories.make_payment(factories.make_render_job(user, price_amount=1000, price_currency="eur"),
                           status=PaymentStatus.PAID, amount=1000, currency="eur",
                           paid_at=NOW - 2 * 24 * H)
    factories.make_payment(factories.make_render_job(user), status=PaymentStatus.PENDING)
    db.session.add_all([
        PaymentRefund(payment_id=p1.id, amount=100, reason="partial", status="succeeded",
                      created_at=NOW - 24 * H),
        PaymentRefund(payment_id=p1.id, amount=50, reason="pending", status="pending",
                      created_at=NOW - 24 * H),
        PaymentRefund(payment_id=p2.id, amount=100, reason="old payment, recent refund",
                      status="succeeded", created_at=NOW - 3 * 24 * H),
        PaymentRefund(payment_id=p2.id, amount=400, reason="too old", status="succeeded",
                      created_at=NOW - 31 * 24 * H),
    ])
    db.session.commit()


def seed_storage(storage, tmp_path):
    for key, size in (("renders/u/v.mp4", 1000), ("uploads/u/v/audio.mp3", 234)):
        path = tmp_path / "blob"
        path.write_bytes(b"x" * size)
        storage.put_file(key, path, content_type="application/octet-stream")


def test_the_dashboard_shows_the_seeded_numbers(app, clean_storage, tmp_path):
    seed_renders()
    seed_money()
    seed_storage(clean_storage, tmp_path)
    sample_tasks.record.enqueue("a")
    sample_tasks.record.enqueue("b")
    sample_tasks.record.enqueue("c", queue="high")
    sample_tasks.tick.enqueue()
    worker = Worker([get_queue("high"), get_queue("default")], connection=get_redis(),
                    name="worker-one")
    worker.register_birth()
    worker.set_current_job_id("render-3c1f1c5e-8a43-4f0e-9e0e-1a2b3c4d5e6f-2")

    dash = build_dashboard(NOW)

    assert dash.unavailable == []
    assert dash.queue_depths == {"high": 1, "default": 2, "low": 1}
    [row] = dash.workers
    assert (row.name, row.queues, row.current_job_id) == (
        "worker-one", ("high", "default"), "render-3c1f1c5e-8a43-4f0e-9e0e-1a2b3c4d5e6f-2")
    assert str(row.current_render_id) == "3c1f1c5e-8a43-4f0e-9e0e-1a2b3c4d5e6f"
    assert row.last_heartbeat is not None
    assert dash.failures.count == 0 and dash.failures.latest == []
    assert dash.jobs_by_status_24h == {"awaiting_payment": 0, "queued": 1, "rendering": 1,
                                       "completed": 2, "failed": 1, "canceled": 0,
                                       "expired": 0}
    assert dash.hourly.start == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    assert len(dash.hourly.renders) == len(dash.hourly.failures) == HOURS == 168
    assert {i: n for i, n in enumerate(dash.hourly.renders) if n} == {142: 1, 165: 1, 167: 1}
    assert {i: n for i, n in enumerate(dash.hourly.failures) if n} == {166: 1}
    assert dash.queue_wait == QueueWait(samples=4, p50_seconds=25.0, p95_seconds=38.5)
    assert dash.speed == [TemplateSpeed("bars", 2, median_rtf=1.5, p95_rtf=1.95),
                          TemplateSpeed("waves", 1, median_rtf=3.0, p95_rtf=3.0)]
    assert dash.storage == StorageUsed(total_bytes=1234, total_objects=2, by_prefix={
        "renders/": {"objects": 1, "bytes": 1000}, "uploads/": {"objects": 1, "bytes": 234}})
    assert dash.money == [Money("eur", payments=1, revenue=1000, refunds=0, net=1000),
                          Money("usd", payments=1, revenue=299, refunds=200, net=99)]


def test_failures_show_the_count_and_the_latest_errors(app, app_ctx):
    get_queue("default").enqueue_call(sample_tasks.record, args=(), job_id="broken-one")
    JobRunner(app).run()

    failures = build_dashboard().failures

    assert failures.count == 1
    [entry] = failures.latest
    assert entry.job_id == "broken-one" and entry.render_job_id is None
    assert entry.error == ("TypeError: record() missing 1 required positional argument: "
                           "'label'")
    assert entry.failed_at is not None


def test_with_redis_down_its_sections_are_unavailable_and_the_rest_is_there(redis_down,
                                                                            clean_storage):
    seed_renders()

    dash = build_dashboard(NOW)

    assert sorted(dash.unavailable) == ["failures", "queue_depths", "workers"]
    for section in (dash.queue_depths, dash.workers, dash.failures):
        assert isinstance(section, Unavailable) and section.source == "redis"
        assert "Redis cannot be reached" in section.reason
    assert dash.jobs_by_status_24h["completed"] == 2
    assert dash.queue_wait.samples == 4
