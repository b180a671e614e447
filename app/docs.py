"""The OpenAPI document and Swagger UI, served without any CDN."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, send_from_directory

try:
    from swagger_ui_bundle import swagger_ui_path
except ImportError:  # pragma: no cover - the package is a pinned requirement
    swagger_ui_path = None

bp = Blueprint("swagger_ui_assets", __name__)


@bp.get("/static/swagger-ui/<path:filename>")
def swagger_asset(filename: str):
    return send_from_directory(Path(swagger_ui_path), filename, max_age=86400)


def init_docs(app: Flask) -> None:
    from app.extensions import api
    api.init_app(app)
    app.register_blueprint(bp)
