"""What ``/metrics`` reads at scrape time: the recorded families from Redis, and the state of
render jobs (Postgres) and queues (Redis). Each source that cannot be read is left out and the
rest is still served; ``waveframe_metrics_store_up`` says whether the recorded part was read."""

from __future__ import annotations

import json
import logging
from collections import defaultdict

from flask import current_app, has_app_context
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from sqlalchemy import func, select

from app.extensions import db
from app.models import RenderJob
from app.tasks.queues import all_queues
from app.web.metrics.families import COUNTER, RECORDED, Family
from app.web.metrics.store import MetricStore

log = logging.getLogger(__name__)


def _store() -> MetricStore | None:
    return current_app.extensions.get("metrics_store") if has_app_context() else None


def _counter(family: Family, series: dict[str, float]) -> Metric:
    metric = CounterMetricFamily(family.name, family.help, labels=family.labels)
    for key, value in sorted(series.items()):
        metric.add_metric(json.loads(key), value)
    return metric


def _histogram(family: Family, series: dict[str, float]) -> Metric:
    metric = HistogramMetricFamily(family.name, family.help, labels=family.labels)
    grouped: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
    for key, value in series.items():
        *labels, part = json.loads(key)
        grouped[tuple(labels)][part] = value
    for labels, parts in sorted(grouped.items()):
        running, buckets = 0.0, []
        for bound in family.bounds:  # a bound no longer in the family (changed buckets) is skipped
            running += parts.get(bound, 0.0)
            buckets.append((bound, running))
        metric.add_metric(list(labels), buckets, parts.get("sum", 0.0))
    return metric


class RecordedCollector:
    """The families every process records into Redis (``store.py``)."""

    def collect(self):
        store = _store()
        if store is None:
            return
        up = GaugeMetricFamily("waveframe_metrics_store_up",
                               "1 when the recorded metrics could be read from Redis")
        try:
            recorded = store.read(RECORDED)
        except Exception as exc:  # Redis down: serve the rest of the scrape
            log.warning("metrics_read_failed", extra={"error": type(exc).__name__})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for family in RECORDED:
            series = recorded.get(family.name, {})
            yield _counter(family, series) if family.kind == COUNTER else _histogram(family, series)


class StateCollector:
    """Render jobs by status (Postgres) and queue depths (Redis), read at scrape time."""

    def collect(self):
        store = _store()
        if store is None:  # only meaningful while serving /metrics
            return
        try:
            rows = db.session.execute(
                select(RenderJob.status, func.count()).group_by(RenderJob.status)).all()
        except Exception as exc:  # the database is down: serve the rest of the scrape
            db.session.rollback()
            log.warning("metrics_jobs_read_failed", extra={"error": type(exc).__name__})
        else:
            jobs = GaugeMetricFamily("waveframe_render_jobs", "Render jobs by status",
                                     labels=["status"])
            for status, count in rows:
                jobs.add_metric([str(getattr(status, "value", status))], count)
            yield jobs
        queues = all_queues()
        try:
            depths = store.lengths([queue.key for queue in queues])
        except Exception as exc:
            log.warning("metrics_queues_read_failed", extra={"error": type(exc).__name__})
        else:
            gauge = GaugeMetricFamily("waveframe_queue_depth", "Jobs waiting per queue",
                                      labels=["queue"])
            for queue, depth in zip(queues, depths, strict=True):
                gauge.add_metric([queue.name], depth)
            yield gauge
