"""The recording calls, one line at each place that has something to count.

Each call is a no-op outside an app context and never raises. Label values are bounded here:
an unknown HTTP method becomes ``other``, a missing template ``unknown``, long values are cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import current_app, has_app_context

from app.web.metrics import families as f
from app.web.metrics.store import MetricStore, Observation

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_LABEL = 64


def current_store() -> MetricStore | None:
    if not has_app_context():
        return None
    return current_app.extensions.get("metrics_store")


def _record(*observations: Observation) -> None:
    store = current_store()
    if store is not None:
        store.record(observations)


def _label(value: Any, default: str = "unknown") -> str:
    text = str(value) if value not in (None, "") else default
    return text[:MAX_LABEL]


def observe_request(method: str, route: str, status: int, duration_ms: float | None) -> None:
    """One HTTP request; ``route`` is the URL rule (``unmatched`` when none matched)."""
    labels = (method if method in METHODS else "other", _label(route, "unmatched"), str(status))
    observations: list[Observation] = [(f.HTTP_REQUESTS, labels, 1)]
    if duration_ms is not None:
        observations.append((f.HTTP_LATENCY, labels, duration_ms / 1000))
    store = current_store()
    if store is not None:
        store.record_soon(observations)  # summed in the process, flushed in the background


def _template(config: Mapping[str, Any] | None) -> str:
    return _label((config or {}).get("template"))


def observe_render(config: Mapping[str, Any] | None, wall_seconds: float,
                   realtime_factor: float) -> None:
    """A finished run of the engine for a job with this render ``config``."""
    labels = (_template(config),)
    _record((f.RENDER_DURATION, labels, wall_seconds),
            (f.RENDER_REALTIME_FACTOR, labels, realtime_factor))


def observe_render_outcome(config: Mapping[str, Any] | None, status: str) -> None:
    """How a render attempt ended: completed, failed, retrying or canceled."""
    _record((f.RENDER_OUTCOMES, (_template(config), status), 1))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def observe_job_start(rq_job: Any) -> None:
    """From inside a task: how long its RQ job waited on its queue (enqueue -> start)."""
    enqueued = getattr(rq_job, "enqueued_at", None)
    if enqueued is None:
        return
    started = getattr(rq_job, "started_at", None) or datetime.now(UTC)
    waited = max(0.0, (_utc(started) - _utc(enqueued)).total_seconds())
    task = _label(str(getattr(rq_job, "func_name", "") or "").rsplit(".", 1)[-1])
    _record((f.QUEUE_WAIT, (_label(getattr(rq_job, "origin", None)), task), waited))


def observe_email(kind: str | None, result: str) -> None:
    """An email send attempt: sent, deferred (will be retried) or failed (for good)."""
    _record((f.EMAILS, (_label(kind), result), 1))


def observe_webhook(event_type: str | None, result: str) -> None:
    """A Stripe webhook delivery; ``event_type`` is None when it could not be read."""
    _record((f.WEBHOOKS, (_label(event_type), _label(result)), 1))
