"""Every error is the one JSON shape, with the right status, and nothing half-written."""

import logging

import pytest
from flask import Blueprint, abort
from marshmallow import Schema, fields, validate
from webargs.flaskparser import use_args

from app.errors import Conflict
from app.extensions import db
from app.models import User


class _EchoSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=10))
    count = fields.Integer(load_default=1)


@pytest.fixture
def probe_app(make_app):
    """An app with a few routes that exercise the error paths (not registered in production)."""
    app = make_app()
    bp = Blueprint("probe", __name__)

    @bp.post("/probe/echo")
    @use_args(_EchoSchema(), location="json")
    def echo(args):
        return args

    @bp.post("/probe/conflict")
    def conflict():
        raise Conflict("The job is already rendering.", code="invalid_state", details={"status": "rendering"})

    @bp.post("/probe/boom")
    def boom():
        db.session.add(User(email="half-written@example.com", password_hash="x"))
        db.session.flush()
        raise RuntimeError("database password=hunter2 leaked?")

    @bp.get("/probe/teapot")
    def teapot():
        abort(418)

    app.register_blueprint(bp)
    return app


@pytest.fixture
def probe(probe_app):
    with probe_app.app_context():
        yield probe_app.test_client()


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_unknown_route_is_404_in_our_shape(client):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/healthz")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400(probe):
    response = probe.post("/probe/echo", data="{not json", content_type="application/json")
    assert_error(response, 400, "malformed_body")


def test_validation_errors_are_422_naming_the_fields(probe):
    error = assert_error(probe.post("/probe/echo", json={"name": "", "count": "many"}), 422,
                         "invalid_field")
    assert set(error["details"]["fields"]) == {"name", "count"}
    assert probe.post("/probe/echo", json={"name": "ok"}).get_json() == {"name": "ok", "count": 1}


def test_wrong_content_type_is_415(probe):
    response = probe.post("/probe/echo", data="name=x", content_type="text/plain")
    assert_error(response, 415, "unsupported_content_type")


def test_oversized_body_is_refused_from_content_length_before_reading(probe, app):
    limit = app.config["MAX_JSON_BODY_BYTES"]
    # The declared length is huge but the stream is tiny: the app must answer from the header.
    response = probe.post("/probe/echo", data=b"{}", content_type="application/json",
                          environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    error = assert_error(response, 413, "payload_too_large")
    assert error["details"]["limit_bytes"] == limit
    # on every route, including ones that never read a body
    response = probe.get("/healthz", data=b"x", environ_overrides={"CONTENT_LENGTH": str(10**10)})
    assert_error(response, 413, "payload_too_large")


def test_uploads_get_the_larger_limit(probe, app):
    small = app.config["MAX_JSON_BODY_BYTES"] + 1
    response = probe.post("/probe/echo", data=b"--x--", content_type="multipart/form-data; boundary=x",
                          environ_overrides={"CONTENT_LENGTH": str(small)})
    assert response.status_code != 413
    response = probe.post("/probe/echo", data=b"--x--", content_type="multipart/form-data; boundary=x",
                          environ_overrides={"CONTENT_LENGTH": str(app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert_error(response, 413, "payload_too_large")


def test_our_exceptions_keep_code_and_details(probe):
    error = assert_error(probe.post("/probe/conflict"), 409, "invalid_state")
    assert error["details"] == {"status": "rendering"}


def test_other_http_errors_use_the_shape(probe):
    assert_error(probe.get("/probe/teapot"), 418, "http_error")


def test_unexpected_exception_is_500_with_request_id_only_and_rolls_back(probe, caplog):
    caplog.set_level(logging.ERROR)
    response = probe.post("/probe/boom", headers={"X-Request-ID": "req-12345678"})
    error = assert_error(response, 500, "internal_error")
    assert error["details"] == {"request_id": "req-12345678"}
    assert "hunter2" not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)
    # the half-written row was rolled back
    assert db.session.query(User).count() == 0
    record = next(r for r in caplog.records if r.getMessage() == "unhandled_exception")
    assert record.request_id == "req-12345678" and record.exc_info is not None


def test_an_unreachable_database_is_a_503_not_a_500(make_app, user_factory, auth_headers):
    """The database restarting or failing over: a retryable 503 in the one shape."""
    user = user_factory()
    headers = auth_headers(user)  # a valid token; the user lookup then meets no database
    closed = make_app(SQLALCHEMY_DATABASE_URI="postgresql://postgres@127.0.0.1:1/nowhere",
                      SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    with closed.app_context():
        response = closed.test_client().get(f"/api/v1/renders/{user.id}", headers=headers)
        db.session.remove()
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unavailable"
    assert int(response.headers["Retry-After"]) > 0
