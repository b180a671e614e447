"""Liveness and readiness endpoints (outside the versioned API); ``/metrics`` is in ``metrics``."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from app.adapters import get_storage
from app.extensions import db, get_redis

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def _check_database() -> None:
    db.session.execute(text("SELECT 1"))


def _check_redis() -> None:
    get_redis().ping()


def _check_storage() -> None:
    get_storage().check()


def register_readiness_check(app: Flask, name: str, check: Callable[[], None]) -> None:
    """Add a dependency to /readyz; ``check`` raises when the dependency is unusable."""
    app.extensions.setdefault("readiness_checks", {})[name] = check


def init_health(app: Flask) -> None:
    register_readiness_check(app, "database", _check_database)
    register_readiness_check(app, "redis", _check_redis)
    register_readiness_check(app, "storage", _check_storage)
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks, failed = {}, []
    for name, check in current_app.extensions["readiness_checks"].items():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = "unavailable"
            failed.append(name)
            log.warning("readiness_check_failed", extra={"check": name, "error": type(exc).__name__})
            if name == "database":
                db.session.rollback()
    if failed:
        body = {"error": {"code": "not_ready",
                          "message": f"Not ready: {', '.join(failed)} unavailable.",
                          "details": {"checks": checks}}}
        return jsonify(body), 503
    return jsonify(status="ready", checks=checks)
