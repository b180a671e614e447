"""Waveframe: audio in, shareable visualizer video out.

``create_app`` reads as the table of contents of the web process (and of the worker, which
shares the package): config -> logging -> extensions -> blueprints -> error handlers -> CLI.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from app.config import INSTANCE_DIR, Config

log = logging.getLogger(__name__)

# Each entry: a module defining ``bp`` (a flask_smorest.Blueprint, or a Flask one for HTML).
API_BLUEPRINTS: list[str] = [
    "app.payments",
    "app.delivery",
    "app.renders",
    "app.accounts",
    "app.frontend",  # the web app's pages and assets (init_app)
]


def create_app(config: Config | Mapping | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False)
    load_config(app, config)

    from app.logs import configure_logging
    configure_logging(app)

    register_extensions(app)
    register_blueprints(app)

    from app.errors import register_error_handlers
    register_error_handlers(app)

    from app.cli import register_cli
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


def register_extensions(app: Flask) -> None:
    from app.extensions import cors, db, jwt, limiter, migrate, redis_client

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    redis_client.init_app(app)
    jwt.init_app(app)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    cors.init_app(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
                  expose_headers=["Retry-After", "X-Request-ID", "X-RateLimit-Limit",
                                  "X-RateLimit-Remaining", "X-RateLimit-Reset", "ETag"],
                  allow_headers=["Authorization", "Content-Type", "If-None-Match"],
                  max_age=600)
    from app import adapters, web
    adapters.init_app(app)
    web.init_app(app)
    from app import models  # noqa: F401  (register the tables with the metadata)


def register_blueprints(app: Flask) -> None:
    from app.web.docs import api

    for module_path in API_BLUEPRINTS:
        module = importlib.import_module(module_path)
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)
        else:
            api.register_blueprint(module.bp)
