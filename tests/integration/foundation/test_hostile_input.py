"""Hostile input is a 4xx in the error shape, never a 500: deeply nested JSON on every route
that takes a body (from the url map, signed in or not), and integers too large for the database
in every integer query argument (from the OpenAPI document)."""

from __future__ import annotations

import io
import re
import uuid

import pytest

from app.web.json_body import MAX_JSON_DEPTH

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
DEEP_BODIES = {
    "list-100000": "[" * 100_000,
    "object-100000": '{"a":' * 100_000,
    "list-100000-closed": "[" * 100_000 + "]" * 100_000,
    "email-2000": '{"email": ' + "[" * 2000 + "]" * 2000 + ', "password": "x"}',
    "just-over": '{"email": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}",
}
HUGE_INTEGERS = [2**31, 2**63, 10**30, -(2**63) - 1]


def assert_error_shape(response, status):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def _concrete(rule: str, job_id: uuid.UUID) -> str:
    def value(match):
        converter = match.group(1) or "string"
        return str(job_id) if converter == "uuid" else "x"
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule)


def body_routes(app):
    """(method, rule) for every route of the url map that accepts a request body."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & BODY_METHODS):
            found.append((method, rule.rule))
    return sorted(found)


@pytest.fixture
def signed_in(client, user_factory, auth_headers, render_job_factory):
    user = user_factory()
    job = render_job_factory(user)
    return auth_headers(user, fresh=True), job.id


def test_the_url_map_has_the_unauthenticated_json_routes(app):
    routes = body_routes(app)
    for path in ("/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/password-reset",
                 "/api/v1/auth/password-reset/confirm", "/api/v1/account"):
        assert any(rule == path for _method, rule in routes), path


@pytest.mark.parametrize("shape", sorted(DEEP_BODIES))
@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "signed-in"])
def test_deeply_nested_json_is_a_400_on_every_route(app, client, signed_in, shape, authenticated):
    headers, job_id = signed_in
    failures = {}
    for method, rule in body_routes(app):
        response = client.open(_concrete(rule, job_id), method=method, data=DEEP_BODIES[shape],
                               content_type="application/json",
                               headers=headers if authenticated else {})
        if response.status_code != 400 or (response.get_json() or {}).get("error", {}).get("code") \
                != "malformed_body":
            failures[f"{method} {rule}"] = (response.status_code, response.get_data(as_text=True)[:200])
    assert failures == {}


def test_the_answer_says_how_deep_a_body_may_be(client):
    response = client.post("/api/v1/auth/login", data="[" * 100_000, content_type="application/json")
    error = assert_error_shape(response, 400)
    assert error["code"] == "malformed_body" and "nested" in error["message"]
    assert error["details"]["max_depth"] == MAX_JSON_DEPTH


def test_nesting_within_the_limit_reaches_validation(client):
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    response = client.post("/api/v1/auth/login", data=f'{{"email": {nested}, "password": "x"}}',
                           content_type="application/json")
    error = assert_error_shape(response, 422)
    assert "email" in error["details"]["fields"]


def test_deeply_nested_render_config_is_a_422_naming_config(client, signed_in):
    headers, _job_id = signed_in
    for config in ("[" * 100_000, '{"a":' * 100_000, '{"template": ' + "[" * 5000 + "]" * 5000 + "}"):
        response = client.post("/api/v1/renders", headers=headers, content_type="multipart/form-data",
                               data={"config": config, "audio": (io.BytesIO(b"ID3" + bytes(64)), "a.mp3")})
        error = assert_error_shape(response, 422)
        assert "config" in error["details"]["fields"], error


def integer_query_arguments(spec):
    """(path, method, name) of every integer query parameter the OpenAPI document declares."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []) + operations.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("schema", {}).get("type") == "integer":
                    found.append((path, method, parameter["name"]))
    return found


def test_integers_too_large_for_the_database_are_a_422_naming_the_argument(client, signed_in):
    headers, job_id = signed_in
    arguments = integer_query_arguments(client.get("/api/openapi.json").get_json())
    assert ("/api/v1/renders", "get", "page") in arguments  # the enumeration works
    assert ("/api/v1/account/history", "get", "page") in arguments
    failures = {}
    for path, method, name in arguments:
        url = re.sub(r"\{[^}]+\}", str(job_id), path)
        for number in HUGE_INTEGERS:
            response = client.open(url, method=method.upper(), headers=headers,
                                   query_string={name: str(number)})
            fields = ((response.get_json() or {}).get("error", {}).get("details", {}) or {}).get("fields", {})
            if response.status_code != 422 or f"query.{name}" not in fields:
                failures[f"{method} {path}?{name}={number}"] = (response.status_code,
                                                              response.get_data(as_text=True)[:200])
    assert failures == {}


def test_the_largest_accepted_page_is_answered(client, signed_in):
    headers, _job_id = signed_in
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/renders", "/api/v1/account/history"):
        (page,) = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "page"]
        response = client.get(path, headers=headers, query_string={"page": page["schema"]["maximum"]})
        assert response.status_code == 200 and response.get_json()["items"] == []


def test_a_json_body_without_a_length_is_read_only_up_to_the_json_limit(app, client):
    """A chunked JSON body (no Content-Length, so the header check cannot refuse it) stops at
    MAX_JSON_BODY_BYTES: 413, not a body of the upload size parsed in memory."""
    limit = app.config["MAX_JSON_BODY_BYTES"]
    body = b'{"email": "' + b"a" * (limit + 10) + b'", "password": "x"}'
    response = client.post("/api/v1/auth/login", input_stream=io.BytesIO(body),
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})  # as gunicorn says
    assert_error_shape(response, 413)
