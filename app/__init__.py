"""Waveframe: audio in, shareable visualizer video out.

``create_app`` reads as the table of contents of the web process (and of the worker, which
shares the package): config -> logging -> extensions -> adapters -> HTTP plumbing -> each
domain's ``init_app`` -> error handlers -> CLI.
"""

from __future__ import annotations

import os

# One BLAS thread, set before NumPy loads OpenBLAS: the analysis's matrix products are small and
# OpenBLAS's spinning threads took the cores from its spectrum threads and from Chromium
# (10 minutes of audio analysed in 3.5 s with them, 2.2 s without; the features are identical).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from app import (
    accounts,
    adapters,
    admin,
    delivery,
    frontend,
    models,  # noqa: F401  (registers the tables with the metadata)
    payments,
    renders,
    web,
)
from app.cli import register_cli
from app.config import INSTANCE_DIR, Config
from app.errors import register_error_handlers
from app.extensions import cors, db, jwt, limiter, migrate, redis_client
from app.logs import configure_logging
from app.web.cors_vary import CORS_OPTIONS
from app.web.flask_app import WaveframeFlask

log = logging.getLogger(__name__)

# The domains with something to register (blueprints, periodic tasks), in the order their
# blueprints appear in the OpenAPI document. Mail has none: others call it.
DOMAINS = (payments, delivery, renders, accounts, frontend, admin)
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: Config | Mapping | None = None) -> Flask:
    app = WaveframeFlask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False)
    load_config(app, config)
    configure_logging(app)
    init_extensions(app)
    adapters.init_app(app)
    web.init_app(app)
    for domain in DOMAINS:
        domain.init_app(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def load_config(app: Flask, config: Config | Mapping | None) -> None:
    if config is None:
        config = Config()
    elif isinstance(config, Mapping):
        overrides, config = dict(config), Config()
        for key, value in overrides.items():
            setattr(config, key, value)
    config.validate()
    app.config.update(config.as_dict())
    app.config["PAYMENTS_ENABLED"] = config.payments_enabled
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    redis_client.init_app(app)
    jwt.init_app(app)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    cors.init_app(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
                  expose_headers=["Retry-After", "X-Request-ID", "X-RateLimit-Limit",
                                  "X-RateLimit-Remaining", "X-RateLimit-Reset", "ETag"],
                  allow_headers=["Authorization", "Content-Type", "If-None-Match"],
                  max_age=600, **CORS_OPTIONS)
