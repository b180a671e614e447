"""``GET /metrics`` for Prometheus, and who may read it.

- ``METRICS_TOKEN`` set (any environment): the scrape must send ``Authorization: Bearer <token>``,
  else 401 in the API's error shape.
- No token in production: ``/metrics`` answers 404 -- the metrics are off until a token is
  configured (a deploy without one still starts; it just publishes nothing).
- No token elsewhere (development, test): open, as a local Prometheus expects.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from app.errors import NotFound, Unauthorized
from app.web.metrics.collectors import RecordedCollector, StateCollector
from app.web.metrics.store import MetricStore

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)


def init_metrics(app: Flask) -> None:
    """The app's metric store (also used by the worker to record) and its ``/metrics``."""
    store = MetricStore(app.config["REDIS_URL"], app.config["REDIS_KEY_PREFIX"])
    store.flush_seconds = float(app.config.get("METRICS_FLUSH_SECONDS", 0.0))
    app.extensions["metrics_store"] = store
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RecordedCollector())
    registry.register(StateCollector())
    app.extensions["metrics_registry"] = registry
    app.register_blueprint(bp)
    if app.config["APP_ENV"] == "production" and not app.config.get("METRICS_TOKEN"):
        log.info("metrics_endpoint_disabled", extra={"reason": "METRICS_TOKEN is not set"})


def check_metrics_access() -> None:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        if current_app.config["APP_ENV"] == "production":
            raise NotFound()
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Unauthorized("Send the metrics token as Authorization: Bearer <METRICS_TOKEN>.",
                           code="metrics_token_required",
                           headers={"WWW-Authenticate": 'Bearer realm="metrics"'})


@bp.get("/metrics")
def metrics():
    check_metrics_access()
    current_app.extensions["metrics_store"].flush()  # this process's requests, up to this one
    return Response(generate_latest(current_app.extensions["metrics_registry"]),
                    mimetype=CONTENT_TYPE_LATEST)
