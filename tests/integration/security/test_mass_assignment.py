"""Mass assignment on every write schema: each column name of every table, sent as an extra
field, is a 422 naming it -- and nothing changes (no account, no admin, no status, no price).

The routes and their body schemas come from the url map and the served OpenAPI document; a
valid body for each is below, and a new write schema without one fails the first assertion.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.integration.accounts.conftest import STRONG_PASSWORD
from tests.integration.security.conftest import api_routes
from tests.support import render_media

EMAIL = "owner@example.com"
VALID_BODIES = {
    "/api/v1/auth/register": {"email": "newcomer@example.com", "password": STRONG_PASSWORD},
    "/api/v1/auth/login": {"email": EMAIL, "password": STRONG_PASSWORD},
    "/api/v1/auth/password-reset": {"email": EMAIL},
    "/api/v1/auth/password-reset/confirm": {"token": "x" * 40, "password": STRONG_PASSWORD},
    "/api/v1/account": {"current_password": STRONG_PASSWORD, "email": "moved@example.com"},
}


def column_names() -> list[str]:
    return sorted({column.name for table in db.metadata.sorted_tables for column in table.columns})


def hostile_value(name: str):
    if name.startswith(("is_", "cancel")):
        return True
    if name == "status":
        return "completed"
    if name.endswith(("_at", "_after")):
        return "2000-01-01T00:00:00+00:00"
    return 0 if name.endswith(("amount", "size", "attempts", "progress", "duration")) else "x"


def snapshot() -> str:
    """Every row of every table, as text: what must not change."""
    rows = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows[table.name] = [
                list(map(str, r)) for r in conn.execute(text(f"SELECT * FROM {table.name} ORDER BY 1"))
            ]
    return json.dumps(rows, sort_keys=True)


def json_write_schemas(app) -> dict[str, list[str]]:
    """API path -> body field names, for every write route with a JSON body schema."""
    document = app.test_client().get("/api/openapi.json").json
    schemas = document["components"]["schemas"]
    found = {}
    for route in api_routes(app):
        if route.method not in {"POST", "PUT", "PATCH"}:
            continue
        path = route.rule
        operation = document["paths"].get(path, {}).get(route.method.lower(), {})
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            name = body["schema"]["$ref"].rsplit("/", 1)[-1]
            found[path] = sorted(schemas[name]["properties"])
    return found


@pytest.fixture
def owner(sweep_client):
    response = sweep_client.post("/api/v1/auth/register", json={"email": EMAIL, "password": STRONG_PASSWORD})
    assert response.status_code == 201
    return response.json


def test_every_column_name_is_refused_on_every_json_write_schema(sweep_app, sweep_client, owner):
    schemas = json_write_schemas(sweep_app)
    assert set(schemas) == set(VALID_BODIES), "a new write schema needs a valid body above"
    headers = {"Authorization": f"Bearer {owner['access_token']}"}
    before = snapshot()
    wrong = []
    for path, fields in schemas.items():
        method = "PATCH" if path == "/api/v1/account" else "POST"
        for column in column_names():
            if column in fields:
                continue
            body = {**VALID_BODIES[path], column: hostile_value(column)}
            response = sweep_client.open(path, method=method, json=body, headers=headers)
            named = column in json.dumps(response.get_json(silent=True) or {})
            if response.status_code != 422 or not named:
                wrong.append(f"{method} {path} + {column}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert snapshot() == before


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    return Path(render_media.tone(tmp_path_factory.mktemp("mass") / "t.wav", 1.0)).read_bytes()


def test_the_upload_refuses_extra_form_parts_and_config_keys(sweep_client, owner, clip):
    headers = {"Authorization": f"Bearer {owner['access_token']}"}
    config = {"template": "bars", "size": "720x720", "fps": 24}
    before = snapshot()
    wrong = []
    # every column as an extra form part, all in one request: each one is named
    form = {
        "audio": (io.BytesIO(clip), "a.wav"),
        "config": json.dumps(config),
        **{c: str(hostile_value(c)) for c in column_names() if c != "config"},
    }
    response = sweep_client.post(
        "/api/v1/renders", data=form, headers=headers, content_type="multipart/form-data"
    )
    assert response.status_code == 422, response.json
    named = response.json["error"]["details"]["fields"]
    wrong += [f"form part {c} not named" for c in column_names() if c != "config" and c not in named]
    # every column as an extra config key, one at a time (the config stops at the first)
    for column in column_names():
        form = {
            "audio": (io.BytesIO(clip), "a.wav"),
            "config": json.dumps({**config, column: hostile_value(column)}),
        }
        response = sweep_client.post(
            "/api/v1/renders", data=form, headers=headers, content_type="multipart/form-data"
        )
        if response.status_code != 422 or column not in response.get_data(as_text=True):
            wrong.append(f"POST /api/v1/renders config + {column}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert snapshot() == before
