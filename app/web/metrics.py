"""Prometheus metrics: HTTP traffic from this process, job and queue state from Postgres/Redis."""

from __future__ import annotations

from flask import has_app_context
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from app.extensions import db
from app.models import RenderJob
from app.tasks.queues import all_queues

REGISTRY = CollectorRegistry(auto_describe=False)

HTTP_REQUESTS = Counter("waveframe_http_requests_total", "HTTP requests served",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("waveframe_http_request_duration_seconds", "HTTP request latency",
                         ["method", "route"], registry=REGISTRY,
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def observe_request(method: str, route: str, status: int, duration_ms: float | None) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    if duration_ms is not None:
        HTTP_LATENCY.labels(method, route).observe(duration_ms / 1000)


class StateCollector:
    """Render jobs by status (Postgres) and queue depths (Redis), read at scrape time."""

    def collect(self):
        jobs = GaugeMetricFamily("waveframe_render_jobs", "Render jobs by status", labels=["status"])
        queues = GaugeMetricFamily("waveframe_queue_depth", "Jobs waiting per queue", labels=["queue"])
        if not has_app_context():  # only meaningful while serving /metrics
            return
        rows = db.session.execute(
            select(RenderJob.status, func.count()).group_by(RenderJob.status)).all()
        for status, count in rows:
            jobs.add_metric([str(getattr(status, "value", status))], count)
        for queue in all_queues():
            queues.add_metric([queue.name], queue.count)
        yield jobs
        yield queues
