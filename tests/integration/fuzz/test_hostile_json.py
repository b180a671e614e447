"""What schemathesis's generation misses: deeply nested JSON, integers far past any column, and
every field given every wrong JSON type -- sent to every JSON route of the url map (so a new
route is covered without being listed here) and to every query parameter of the document.

The promise: a 400 or 422 in the one error shape, naming the field when one is at fault;
never a 500. Rate limits are off in ``fuzz_app`` (they have their own tests).
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.fuzz.conftest import examples
from tests.support import render_media

WRITE_METHODS = {"POST", "PUT", "PATCH"}
MULTIPART_ROUTES = {"/api/v1/renders"}  # the upload (its config field is fuzzed below)


def hypothesis_settings(default: int) -> settings:
    return settings(
        max_examples=examples(default),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def openapi_path(rule) -> str:
    """``/api/v1/renders/<uuid:job_id>`` -> ``/api/v1/renders/{job_id}``."""
    path = rule.rule
    for argument in rule.arguments:
        for converter in ("uuid:", "string:", "int:", "path:", ""):
            path = path.replace(f"<{converter}{argument}>", "{" + argument + "}")
    return path


def concrete(rule) -> str:
    path = rule.rule
    for argument in rule.arguments:
        for converter in ("uuid:", "string:", "int:", "path:", ""):
            path = path.replace(f"<{converter}{argument}>", str(uuid.uuid4()))
    return path


def json_routes(app) -> list[tuple[str, str, list[str]]]:
    """(method, concrete path, body field names) of every API write route taking JSON."""
    document = app.test_client().get("/api/openapi.json").json
    schemas = document["components"]["schemas"]
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in MULTIPART_ROUTES:
            continue
        for method in sorted(rule.methods & WRITE_METHODS):
            operation = document["paths"].get(openapi_path(rule), {}).get(method.lower(), {})
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            fields = sorted(schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
            routes.append((method, concrete(rule), fields))
    return routes


def query_routes(app) -> list[tuple[str, list[str]]]:
    """(concrete path, query parameter names) of every GET operation with query parameters."""
    document = app.test_client().get("/api/openapi.json").json
    routes = []
    for rule in app.url_map.iter_rules():
        operation = document["paths"].get(openapi_path(rule), {}).get("get", {})
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if names:
            routes.append((concrete(rule), names))
    return routes


def nested(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


HUGE_INTEGERS = st.one_of(
    st.integers(min_value=2**31, max_value=2**64),
    st.integers(min_value=-(2**64), max_value=-(2**31)),
    st.integers(min_value=1, max_value=4000).map(lambda digits: int("9" * digits)),
    st.integers(min_value=4301, max_value=20000).map(lambda digits: "9" * digits),  # raw text
)
WRONG_TYPES = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    HUGE_INTEGERS.filter(lambda v: isinstance(v, int)),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.text(max_size=20),
)


def refusal_problem(
    response, *, field: str | None = None, allowed=(400, 401, 404, 409, 413, 415, 422)
) -> str | None:
    """What is wrong with the answer to a hostile request (None: a proper refusal)."""
    sent = response.request
    body = str(getattr(response, "sent_body", ""))[:60]
    request = f"{sent.method} {sent.full_path.rstrip('?')[:90]} {body}".strip()
    if response.status_code >= 500:
        return f"{request} -> {response.status_code}"
    if response.status_code >= 400:
        error = (response.json or {}).get("error") or {}
        if response.status_code not in allowed or not (error.get("code") and error.get("message")):
            return f"{request} -> {response.status_code} {error}"
        if field is not None and response.status_code == 422 and field not in json.dumps(error["details"]):
            return f"{request} -> 422 without naming {field}: {error}"
    return None


def assert_all_refused(problems: list) -> None:
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


@pytest.fixture
def send(fuzz_app, mint_tokens):
    client = fuzz_app.test_client()

    def _send(method, path, data: str, **kwargs):
        access, _refresh = mint_tokens()
        response = client.open(
            path,
            method=method,
            data=data,
            content_type="application/json",
            headers={"Authorization": f"Bearer {access}"},
            **kwargs,
        )
        response.sent_body = data
        return response

    return _send


def test_deeply_nested_json_is_a_400_on_every_json_route(fuzz_app, send):
    routes = json_routes(fuzz_app)
    assert any(path == "/api/v1/auth/login" for _m, path, _f in routes)

    @given(
        depth=st.one_of(
            st.integers(min_value=100, max_value=3000), st.integers(min_value=3000, max_value=200_000)
        ),
        kind=st.sampled_from(["list", "object"]),
        where=st.sampled_from(["root", "field"]),
    )
    @hypothesis_settings(6)
    def run(depth, kind, where):
        problems = []
        for method, path, fields in routes:
            body = nested(depth, kind)
            if where == "field" and fields:
                body = "{" + f'"{fields[0]}": ' + body + "}"
            problems.append(refusal_problem(send(method, path, body)))
        assert_all_refused(problems)

    run()


def test_huge_integers_and_wrong_types_in_every_field_name_the_field(fuzz_app, send):
    routes = [(m, p, f) for m, p, f in json_routes(fuzz_app) if f]
    assert routes

    @given(value=st.one_of(HUGE_INTEGERS, WRONG_TYPES), data=st.data())
    @hypothesis_settings(25)
    def run(value, data):
        problems = []
        for method, path, fields in routes:
            field = data.draw(st.sampled_from(fields))
            text = value if isinstance(value, str) and value.isdigit() else json.dumps(value)
            # every body field is a string: any other JSON type must be refused naming it
            named = None if isinstance(value, str) else field
            problems.append(
                refusal_problem(send(method, path, "{" + f'"{field}": {text}' + "}"), field=named)
            )
        assert_all_refused(problems)

    run()


def test_huge_and_wrong_query_values_are_a_422_naming_the_parameter(fuzz_app, mint_tokens):
    client = fuzz_app.test_client()
    routes = query_routes(fuzz_app)
    assert routes

    @given(
        value=st.one_of(
            HUGE_INTEGERS.map(str),
            st.text(max_size=30),
            st.sampled_from(["-1", "0", "1e309", "NaN", "[]", "{}", "null"]),
        ),
        data=st.data(),
    )
    @hypothesis_settings(25)
    def run(value, data):
        access, _ = mint_tokens()
        problems = []
        for path, names in routes:
            name = data.draw(st.sampled_from(names))
            response = client.get(
                path, query_string={name: value}, headers={"Authorization": f"Bearer {access}"}
            )
            problems.append(refusal_problem(response, field=name, allowed=(400, 404, 422)))
        assert_all_refused(problems)

    run()


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("hostile-media")
    return Path(render_media.tone(folder / "tone.wav", 1.0)).read_bytes()


CONFIG_FIELDS = ["template", "size", "fps", "title", "artist", "trim_start", "trim_end", "options"]


def test_every_config_field_of_the_wrong_type_is_a_422_naming_it(fuzz_app, send, mint_tokens, clip):
    client = fuzz_app.test_client()

    @given(
        field=st.sampled_from(CONFIG_FIELDS),
        value=st.one_of(HUGE_INTEGERS, WRONG_TYPES),
        nesting=st.sampled_from(["value", "deep"]),
    )
    @hypothesis_settings(20)
    def run(field, value, nesting):
        text = value if isinstance(value, str) and value.isdigit() else json.dumps(value)
        if nesting == "deep":
            text = nested(5000, "list")
        config = '{"template": "bars", ' + f'"{field}": {text}' + "}"
        if field == "template":
            config = "{" + f'"template": {text}' + "}"
        access, _ = mint_tokens()
        response = client.post(
            "/api/v1/renders",
            content_type="multipart/form-data",
            headers={"Authorization": f"Bearer {access}"},
            data={"audio": (io.BytesIO(clip), "tone.wav"), "config": config},
        )
        response.sent_body = f"config={config}"
        if response.status_code == 201:  # the value happened to be acceptable (a title string)
            return
        assert_all_refused([refusal_problem(response, field=field if nesting == "value" else "config")])

    run()
