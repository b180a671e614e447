"""Render jobs: the catalog and render blueprints (``routes``, ``schemas``), creating a job from
an upload (``service``, ``uploads``, ``pricing``), the one way onto the queue (``queueing``),
the one row lock (``rows``), the status poll (``status``, ``status_cache``), the worker's side
(``tasks``, ``execution``, ``workspace``), keeping Postgres and Redis in step (``recovery``,
``maintenance``), the engine's input errors as API errors (``errors``) and ``flask render``
(``cli``)."""

from __future__ import annotations

from flask import Flask

from app.renders.maintenance import PERIODIC, reconcile_renders
from app.renders.routes import bp, captions_bp, catalog_bp
from app.renders.status_cache import init_status_cache
from app.tasks.schedule import register_periodic
from app.web.docs import api


def init_app(app: Flask) -> None:
    init_status_cache(app)
    api.register_blueprint(catalog_bp)
    api.register_blueprint(bp)
    api.register_blueprint(captions_bp)
    for task, every_seconds in PERIODIC:
        if task is reconcile_renders:
            every_seconds = int(app.config["RENDER_RECONCILE_EVERY_SECONDS"])
        register_periodic(app, task, every_seconds)
