"""The OpenAPI document and Swagger UI, served without any CDN.

``api`` is the flask-smorest ``Api`` every domain registers its blueprints on (in its own
``init_app``); its default error responses are documented with our one error shape, and so is
every 4xx answer of every operation (``ErrorResponsesPlugin``), including those every client can
meet whether or not a view mentions them: 401 on guarded operations, 404 on ``{id}`` paths, 400
and 422 where there is a body or query arguments.
"""

from __future__ import annotations

from pathlib import Path

from apispec import BasePlugin
from flask import Blueprint, Flask, send_from_directory
from flask_smorest import Api
from webargs.fields import DelimitedList

from app.web.schemas import ErrorSchema

try:
    from swagger_ui_bundle import swagger_ui_path
except ImportError:  # pragma: no cover - the package is a pinned requirement
    swagger_ui_path = None


ERROR_REF = {"$ref": "#/components/schemas/Error"}
PARAMETER_LOCATIONS = {"query", "header", "path", "cookie"}
# The answers any client can meet, documented on every operation they apply to.
STANDARD_ERRORS = {
    "400": "Malformed request: the body is not valid JSON or nests too deeply (malformed_body).",
    "401": "Missing, invalid, expired or revoked token.",
    "404": "No such resource (or not yours).",
    "422": "A field is invalid; details.fields names each one.",
}


class ErrorResponsesPlugin(BasePlugin):
    """Documents every 4xx answer with the error schema, and the standard ones where they apply.

    Also drops the OpenAPI 2 ``formData`` parameters flask-smorest derives from a form schema
    (the multipart body is documented as the request body).
    """

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            operation["parameters"] = [p for p in operation.get("parameters", [])
                                       if not isinstance(p, dict) or "in" not in p
                                       or p["in"] in PARAMETER_LOCATIONS]
            if not operation["parameters"]:
                del operation["parameters"]
            responses = operation.setdefault("responses", {})
            wanted = set()
            if operation.get("security"):
                wanted.add("401")
            if path and "{" in path:
                wanted.add("404")
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                wanted |= {"400", "422"}
            if body or any(isinstance(p, dict) and p.get("in") == "query"
                           for p in operation.get("parameters", [])):
                wanted.add("422")
            for code in wanted - set(map(str, responses)):
                responses[code] = {"description": STANDARD_ERRORS[code]}
            for code, response in responses.items():
                if str(code).startswith("4") and isinstance(response, dict) and "$ref" not in response:
                    response.setdefault("content", {}).setdefault("application/json", {})
                    response["content"]["application/json"].setdefault("schema", ERROR_REF)


def delimited_list2param(self, field, **kwargs) -> dict:
    """A webargs DelimitedList is one comma-separated query value (``?status=a,b``)."""
    if isinstance(field, DelimitedList):
        return {"explode": False, "style": "form"}
    return {}


class WaveframeApi(Api):
    """flask-smorest's Api, documenting our error shape for its default error responses."""

    ERROR_SCHEMA = ErrorSchema


api = WaveframeApi(spec_kwargs={"extra_plugins": [ErrorResponsesPlugin()]})
bp = Blueprint("swagger_ui_assets", __name__)


@bp.get("/static/swagger-ui/<path:filename>")
def swagger_asset(filename: str):
    return send_from_directory(Path(swagger_ui_path), filename, max_age=86400)


def init_docs(app: Flask) -> None:
    api.init_app(app)
    api.ma_plugin.converter.add_parameter_attribute_function(delimited_list2param)
    app.register_blueprint(bp)
