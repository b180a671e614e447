"""The numbers of the admin home: queues, workers, failures, throughput, speed, storage, money.

``build_dashboard(now)`` reads each section live and returns a ``Dashboard``; a section whose
source cannot be read (Redis down, the storage failing) is an ``Unavailable`` marker instead,
never an exception. Pure data: the page and its charts (``app.admin.charts``) are drawn from it.

Definitions (every window ends at ``now``):
- ``jobs_by_status_24h``: render jobs created in the last 24 h, by their current status.
- ``hourly``: 168 one-hour buckets, the last holding the current hour; a render counts in the
  hour of its ``completed_at``, a failure in that of its ``failed_at``.
- ``queue_wait``: ``started_at - queued_at`` of the current attempt of jobs started in the
  last 24 h.
- ``speed``: real-time factor = seconds of video / wall seconds from ``started_at`` to
  ``completed_at``, for jobs completed in the last 7 days, per template.
- ``money``: per currency, payments paid in the last 30 days and refunds recorded in it
  (partial ones at their amount); ``net = revenue - refunds``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.admin.availability import Unavailable, read_section
from app.admin.stats import hour_floor, hourly_counts, percentile
from app.delivery.storage_usage import storage_usage
from app.extensions import db
from app.models import (
    Payment,
    PaymentRefund,
    RefundStatus,
    RenderJob,
    RenderStatus,
    utcnow,
)
from app.renders.failed_jobs import FailedEntry, latest_failed
from app.renders.queueing import render_job_id_of
from app.tasks.failures import failed_job_count
from app.tasks.status import queue_depths, worker_statuses

HOURS = 7 * 24
LATEST_ERRORS = 10
STATUS_WINDOW = timedelta(hours=24)
QUEUE_WAIT_WINDOW = timedelta(hours=24)
SPEED_WINDOW = timedelta(days=7)
MONEY_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class WorkerRow:
    name: str
    state: str
    queues: tuple[str, ...]
    last_heartbeat: datetime | None
    current_job_id: str | None
    current_render_id: uuid.UUID | None


@dataclass(frozen=True)
class Failures:
    count: int
    latest: list[FailedEntry]  # newest first: job_id, queue, task, render_job_id, error, failed_at


@dataclass(frozen=True)
class HourlySeries:
    start: datetime  # the first bucket's start; bucket i is [start + i h, start + (i+1) h)
    renders: list[int]  # completed per hour (168)
    failures: list[int]  # failed per hour (168)


@dataclass(frozen=True)
class QueueWait:
    samples: int
    p50_seconds: float | None
    p95_seconds: float | None


@dataclass(frozen=True)
class TemplateSpeed:
    template: str
    renders: int
    median_rtf: float
    p95_rtf: float


@dataclass(frozen=True)
class StorageUsed:
    total_bytes: int
    total_objects: int
    by_prefix: dict[str, dict[str, int]]


@dataclass(frozen=True)
class Money:
    currency: str
    payments: int  # paid in the window
    revenue: int  # smallest currency unit
    refunds: int
    net: int


@dataclass(frozen=True)
class Dashboard:
    generated_at: datetime
    queue_depths: dict[str, int] | Unavailable
    workers: list[WorkerRow] | Unavailable
    failures: Failures | Unavailable
    jobs_by_status_24h: dict[str, int] | Unavailable
    hourly: HourlySeries | Unavailable
    queue_wait: QueueWait | Unavailable
    speed: list[TemplateSpeed] | Unavailable
    storage: StorageUsed | Unavailable
    money: list[Money] | Unavailable
    unavailable: list[str] = field(default_factory=list)  # names of the unavailable sections


def build_dashboard(now: datetime | None = None) -> Dashboard:
    """Read every section of the admin home as of ``now`` (default: the current time)."""
    now = now or utcnow()
    sections = {
        "queue_depths": read_section("queue_depths", queue_depths),
        "workers": read_section("workers", _workers),
        "failures": read_section("failures", _failures),
        "jobs_by_status_24h": read_section("jobs_by_status_24h", lambda: _jobs_by_status(now)),
        "hourly": read_section("hourly", lambda: _hourly(now)),
        "queue_wait": read_section("queue_wait", lambda: _queue_wait(now)),
        "speed": read_section("speed", lambda: _speed(now)),
        "storage": read_section("storage", _storage),
        "money": read_section("money", lambda: _money(now)),
    }
    return Dashboard(generated_at=now, **sections,
                     unavailable=[k for k, v in sections.items() if isinstance(v, Unavailable)])


def _workers() -> list[WorkerRow]:
    return [WorkerRow(name=w.name, state=w.state, queues=w.queues,
                      last_heartbeat=w.last_heartbeat, current_job_id=w.current_job_id,
                      current_render_id=render_job_id_of(w.current_job_id))
            for w in worker_statuses()]


def _failures() -> Failures:
    return Failures(count=failed_job_count(), latest=latest_failed(LATEST_ERRORS))


def _jobs_by_status(now: datetime) -> dict[str, int]:
    rows = db.session.execute(
        select(RenderJob.status, func.count()).where(RenderJob.created_at >= now - STATUS_WINDOW,
                                                     RenderJob.created_at <= now)
        .group_by(RenderJob.status)).all()
    counts = {status.value: 0 for status in RenderStatus}
    for status, count in rows:
        counts[str(RenderStatus(status))] = int(count)
    return counts


def _hourly(now: datetime) -> HourlySeries:
    start = hour_floor(now) - timedelta(hours=HOURS - 1)
    completed = db.session.scalars(select(RenderJob.completed_at).where(
        RenderJob.completed_at >= start, RenderJob.completed_at <= now)).all()
    failed = db.session.scalars(select(RenderJob.failed_at).where(
        RenderJob.failed_at >= start, RenderJob.failed_at <= now)).all()
    return HourlySeries(start=start, renders=hourly_counts(completed, start, HOURS),
                        failures=hourly_counts(failed, start, HOURS))


def _queue_wait(now: datetime) -> QueueWait:
    rows = db.session.execute(select(RenderJob.queued_at, RenderJob.started_at).where(
        RenderJob.started_at >= now - QUEUE_WAIT_WINDOW, RenderJob.started_at <= now,
        RenderJob.queued_at.is_not(None))).all()
    waits = [(started - queued).total_seconds() for queued, started in rows if started >= queued]
    return QueueWait(samples=len(waits), p50_seconds=percentile(waits, 50),
                     p95_seconds=percentile(waits, 95))


def _speed(now: datetime) -> list[TemplateSpeed]:
    rows = db.session.execute(select(
        RenderJob.config, RenderJob.output_duration, RenderJob.audio_duration,
        RenderJob.started_at, RenderJob.completed_at).where(
        RenderJob.completed_at >= now - SPEED_WINDOW, RenderJob.completed_at <= now,
        RenderJob.started_at.is_not(None))).all()
    factors: dict[str, list[float]] = defaultdict(list)
    for config, output_duration, audio_duration, started, completed in rows:
        wall = (completed - started).total_seconds()
        seconds = output_duration or audio_duration
        if wall > 0 and seconds:
            factors[str((config or {}).get("template") or "?")].append(seconds / wall)
    return [TemplateSpeed(template=name, renders=len(values),
                          median_rtf=round(percentile(values, 50), 3),
                          p95_rtf=round(percentile(values, 95), 3))
            for name, values in sorted(factors.items())]


def _storage() -> StorageUsed:
    usage = storage_usage()
    return StorageUsed(total_bytes=usage["total_bytes"], total_objects=usage["total_objects"],
                       by_prefix=usage["by_prefix"])


def _money(now: datetime) -> list[Money]:
    since = now - MONEY_WINDOW
    paid = db.session.execute(
        select(Payment.currency, func.count(), func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.paid_at >= since, Payment.paid_at <= now)
        .group_by(Payment.currency)).all()
    refunded = db.session.execute(
        select(Payment.currency, func.coalesce(func.sum(PaymentRefund.amount), 0))
        .join(Payment, Payment.id == PaymentRefund.payment_id)
        .where(PaymentRefund.status == RefundStatus.SUCCEEDED,
               PaymentRefund.created_at >= since, PaymentRefund.created_at <= now)
        .group_by(Payment.currency)).all()
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"payments": 0, "revenue": 0,
                                                             "refunds": 0})
    for currency, count, amount in paid:
        totals[currency.lower()].update(payments=int(count), revenue=int(amount))
    for currency, amount in refunded:
        totals[currency.lower()]["refunds"] += int(amount)
    return [Money(currency=c, payments=t["payments"], revenue=t["revenue"], refunds=t["refunds"],
                  net=t["revenue"] - t["refunds"]) for c, t in sorted(totals.items())]
