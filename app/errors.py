"""The one error shape of the API and the exceptions that produce it.

Services raise these (never werkzeug's HTTP exceptions); the handlers registered by
``register_error_handlers`` turn every error -- ours, Flask's 404/405/413, marshmallow
validation errors from flask-smorest, and unexpected exceptions -- into::

    {"error": {"code": "upload_too_large", "message": "...", "details": {...}}}
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import Flask, g, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Base of every error the API reports on purpose."""

    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 details: dict[str, Any] | None = None, status: int | None = None,
                 headers: dict[str, str] | None = None):
        self.message = message or self.message
        self.code = code or self.code
        self.details = details or {}
        self.status = status or self.status
        self.headers = headers or {}
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(ApiError):
    status, code, message = 400, "bad_request", "The request is malformed."


class Unauthorized(ApiError):
    status, code, message = 401, "unauthorized", "Authentication is required."


class Forbidden(ApiError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFound(ApiError):
    status, code, message = 404, "not_found", "The resource was not found."


class Conflict(ApiError):
    """The resource is not in a state that allows the action (409)."""

    status, code, message = 409, "conflict", "The resource is not in a state that allows this."


class Gone(ApiError):
    status, code, message = 410, "gone", "The resource no longer exists."


class PayloadTooLarge(ApiError):
    status, code, message = 413, "payload_too_large", "The request body is too large."


class UnsupportedMedia(ApiError):
    status, code, message = 415, "unsupported_media_type", "The uploaded file type is not supported."


class InvalidField(ApiError):
    """One or more fields are well-formed but not acceptable (422).

    ``details`` names the fields: ``{"fields": {"config.fps": ["Must be one of 24, 30, 60."]}}``.
    """

    status, code, message = 422, "invalid_field", "One or more fields are invalid."

    def __init__(self, message: str | None = None, *, fields: dict[str, Any] | None = None, **kw):
        details = kw.pop("details", None) or {}
        if fields:
            details = {**details, "fields": fields}
        super().__init__(message, details=details, **kw)


class UpstreamError(ApiError):
    """A third-party service (Stripe, storage, ...) failed; not the client's fault."""

    status, code, message = 502, "upstream_error", "An upstream service failed; try again later."


class ServiceUnavailable(ApiError):
    status, code, message = 503, "service_unavailable", "The service is temporarily unavailable."


# Codes for the statuses werkzeug raises on its own (routing, body size, methods).
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_field",
    429: "rate_limited",
}


def error_response(status: int, code: str, message: str, details: dict | None = None,
                   headers: dict | None = None):
    """The single function every error path uses to build its response."""
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _validation_fields(exc: HTTPException) -> dict[str, Any]:
    """Flatten webargs/marshmallow messages ({location: {field: [...]}}) to {field: [...]}."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or {}
    fields: dict[str, Any] = {}
    for location, per_field in messages.items():
        if isinstance(per_field, dict):
            for name, msgs in per_field.items():
                fields[str(name) if location in ("json", "form", "files") else f"{location}.{name}"] = msgs
        else:
            fields[location] = per_field
    return fields


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        status = exc.code or 500
        data = getattr(exc, "data", None) or {}
        if status in (400, 422) and "messages" in data:
            # webargs / flask-smorest: a body that is not JSON, or fields that do not validate
            messages = data["messages"] or {}
            if any(not isinstance(v, dict) for v in messages.values()):
                return error_response(400, "malformed_body",
                                      "The request body could not be parsed; send valid JSON.",
                                      {"locations": messages})
            return error_response(422, "invalid_field", "One or more fields are invalid.",
                                  {"fields": _validation_fields(exc)})
        if status == 429:
            retry_after = exc.get_response().headers.get("Retry-After")
            headers = {"Retry-After": retry_after} if retry_after else None
            return error_response(429, "rate_limited",
                                  f"Too many requests ({exc.description}); try again later.",
                                  {"limit": str(exc.description)}, headers)
        code = _HTTP_CODES.get(status, "http_error")
        message = exc.description or exc.name
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        if status >= 500:
            code, message = "internal_error", "An internal error occurred."
        return error_response(status, code, message, None, headers)

    @app.errorhandler(OperationalError)
    def handle_database_unavailable(exc: OperationalError):
        """The database cannot be reached (restart, failover, network): a retryable 503."""
        with contextlib.suppress(Exception):  # the connection is gone; the pool replaces it
            db.session.rollback()
        log.error("database_unavailable", extra={"request_id": getattr(g, "request_id", None),
                                                 "error_type": type(exc.orig).__name__})
        return error_response(503, "database_unavailable",
                              "The database is unavailable for a moment; try again shortly.",
                              None, {"Retry-After": "5"})

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        try:
            db.session.rollback()
        except Exception:  # the session may be unusable; the traceback below says why
            log.exception("rollback_failed")
        request_id = getattr(g, "request_id", None)
        log.exception("unhandled_exception", extra={"request_id": request_id})
        return error_response(500, "internal_error",
                              "An internal error occurred. Quote the request id when reporting it.",
                              {"request_id": request_id})
