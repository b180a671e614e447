"""The OpenAPI document and Swagger UI, served without any CDN.

``api`` is the flask-smorest ``Api`` every domain registers its blueprints on (in its own
``init_app``); its default error responses are documented with our one error shape.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, send_from_directory
from flask_smorest import Api

from app.web.schemas import ErrorSchema

try:
    from swagger_ui_bundle import swagger_ui_path
except ImportError:  # pragma: no cover - the package is a pinned requirement
    swagger_ui_path = None


class WaveframeApi(Api):
    """flask-smorest's Api, documenting our error shape for its default error responses."""

    ERROR_SCHEMA = ErrorSchema


api = WaveframeApi()
bp = Blueprint("swagger_ui_assets", __name__)


@bp.get("/static/swagger-ui/<path:filename>")
def swagger_asset(filename: str):
    return send_from_directory(Path(swagger_ui_path), filename, max_age=86400)


def init_docs(app: Flask) -> None:
    api.init_app(app)
    app.register_blueprint(bp)
