"""Delivery of finished videos: signed download links (``links``, the downloads blueprint in
``routes``), what happens when a render ends (``hooks``), retention (``retention`` and its
periodic task), where a job's objects live (``job_storage``) and storage usage (``flask storage
usage``)."""

from __future__ import annotations

from flask import Flask

from app.delivery import tasks
from app.delivery.routes import bp
from app.tasks.schedule import register_periodic
from app.web.docs import api


def init_app(app: Flask) -> None:
    api.register_blueprint(bp)
    register_periodic(app, tasks.expire_renders, tasks.EXPIRE_EVERY)
