"""A render config field of the wrong JSON type, at every level of the config's schema, is a 422
naming the field (never a 500), and nothing is left behind. The fields come from the schema the
API serves (GET /templates), so a new field or option is covered without editing this test."""

from __future__ import annotations

import pytest

from app.rendering import catalog
from tests.integration.renders.conftest import NOTHING, leftovers, upload

JSON_TYPE_OF = {bool: "boolean", int: "integer", float: "number", str: "string", dict: "object",
                list: "array", type(None): "null"}
WRONG_VALUES = {"array": ["bars"], "object": {"value": "bars"}, "string": "bars", "integer": 24,
                "boolean": True, "null": None}


def wrong_values(spec: dict) -> dict[str, object]:
    """A value of every JSON type the field does not accept (list and object always among them)."""
    allowed = spec.get("type", [])
    allowed = {allowed} if isinstance(allowed, str) else set(allowed)
    if "number" in allowed:
        allowed.add("integer")
    return {kind: value for kind, value in WRONG_VALUES.items() if kind not in allowed}


@pytest.fixture
def owner(user_factory):
    return user_factory()


def _fields(response) -> dict:
    assert response.status_code == 422, (response.status_code, response.get_data(as_text=True)[:300])
    error = response.get_json()["error"]
    assert error["code"] in {"invalid_field", "invalid_render_config"}, error
    return error["details"]["fields"]


def test_the_config_itself_must_be_an_object(client, owner, auth_headers, media, render_tmp):
    for config in ("[]", '"bars"', "24", "null", "true", '[{"template": "bars"}]'):
        fields = _fields(upload(client, auth_headers(owner), media["wav"], config=config))
        assert "config" in fields, (config, fields)
    assert leftovers(owner, render_tmp) == NOTHING


def test_every_top_level_field_of_the_wrong_type(client, owner, auth_headers, media, render_tmp):
    properties = client.get("/api/v1/templates").get_json()["config_schema"]["properties"]
    assert set(properties) >= {"template", "size", "fps", "title", "artist", "trim_start", "options"}
    tried = 0
    for name, spec in properties.items():
        for kind, value in wrong_values(spec).items():
            config = {"template": "bars", name: value}
            fields = _fields(upload(client, auth_headers(owner), media["wav"], config=config))
            assert f"config.{name}" in fields, (name, kind, fields)
            tried += 1
    assert tried >= 2 * len(properties)
    assert leftovers(owner, render_tmp) == NOTHING


@pytest.mark.parametrize("template", catalog.template_ids())
def test_every_option_of_the_wrong_type(client, owner, auth_headers, media, render_tmp, template):
    (listed,) = [t for t in client.get("/api/v1/templates").get_json()["items"] if t["id"] == template]
    options = listed["options_schema"]["properties"]
    for kind in ("array", "object", "scalar"):
        config = {"template": template, "options": {}}
        for name, spec in options.items():
            wrong = wrong_values(spec)
            config["options"][name] = wrong.pop(kind) if kind in wrong else next(
                value for other, value in wrong.items() if other not in ("array", "object"))
        fields = _fields(upload(client, auth_headers(owner), media["wav"], config=config))
        missing = {f"config.options.{name}" for name in options} - set(fields)
        assert missing == set(), (kind, missing)
    assert leftovers(owner, render_tmp) == NOTHING


def test_wrong_types_straight_into_the_validator_raise_the_field_error(app_ctx):
    """The engine's own validator (also run by the worker) names the field for every case."""
    from app.rendering.errors import RenderConfigInvalid

    cases = [({"template": value}, "config.template") for value in WRONG_VALUES.values()
             if not isinstance(value, str)]
    for name, spec in catalog.config_schema()["properties"].items():
        cases += [({"template": "bars", name: value}, f"config.{name}")
                  for value in wrong_values(spec).values()]
    for template in catalog.template_ids():
        for name, spec in catalog.options_schema(template)["properties"].items():
            cases += [({"template": template, "options": {name: value}}, f"config.options.{name}")
                      for value in wrong_values(spec).values()]
    for config, field in cases:
        with pytest.raises(RenderConfigInvalid) as caught:
            catalog.normalize_config(config, audio_duration=2.0, available_assets=set())
        assert field in caught.value.fields, (config, caught.value.fields)
