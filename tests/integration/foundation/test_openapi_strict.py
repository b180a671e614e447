"""The OpenAPI document is as strict as the validation behind it, so clients and fuzzers that
trust it are not misled: every validator of every argument schema (enums, ranges, lengths)
appears in the document, the render ``config`` part is described with the catalog's own JSON
Schema, every 4xx answer is documented with the error shape, and the document stays a
structurally valid OpenAPI 3.0 document (openapi-spec-validator is not a pinned dependency)."""

from __future__ import annotations

import re

import marshmallow as ma
import pytest

from app.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from app.models import RenderStatus
from app.rendering import catalog

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PARAMETER_LOCATIONS = {"query", "header", "path", "cookie"}
OAS30_TYPES = {"string", "number", "integer", "boolean", "array", "object"}
SCHEMA_KEYWORDS = {
    "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
    "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties",
    "required", "enum", "type", "allOf", "oneOf", "anyOf", "not", "items", "properties",
    "additionalProperties", "description", "format", "default", "nullable", "discriminator",
    "readOnly", "writeOnly", "xml", "externalDocs", "example", "deprecated", "$ref"}


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def resolve(spec, node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target = spec
        for part in ref[2:].split("/"):
            assert part in target, f"unresolvable {ref}"
            target = target[part]
        node, seen = target, seen + 1
        assert seen < 20, ref
    return node


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def all_parameters(spec, path, operation):
    """The operation's parameters and those of its path item."""
    shared = spec["paths"][path].get("parameters", [])
    return [resolve(spec, p) for p in shared + operation.get("parameters", [])]


# -- a valid OpenAPI 3.0 document ------------------------------------------------------------

def _check_schema(spec, schema, where, problems):
    if "$ref" in schema:
        resolve(spec, schema)
        if set(schema) != {"$ref"}:
            problems.append(f"{where}: $ref with siblings")
        return
    unknown = {k for k in schema if k not in SCHEMA_KEYWORDS and not k.startswith("x-")}
    if unknown:
        problems.append(f"{where}: not OpenAPI 3.0 schema keywords {sorted(unknown)}")
    if "type" in schema and schema["type"] not in OAS30_TYPES:
        problems.append(f"{where}: type {schema['type']!r} (3.0 has one type; null is nullable)")
    if schema.get("type") == "array" and "items" not in schema:
        problems.append(f"{where}: array without items")
    if "pattern" in schema:
        re.compile(schema["pattern"])
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            _check_schema(spec, schema[key], f"{where}.{key}", problems)
    for name, sub in (schema.get("properties") or {}).items():
        _check_schema(spec, sub, f"{where}.{name}", problems)
    for key in ("allOf", "oneOf", "anyOf"):
        for index, sub in enumerate(schema.get(key) or []):
            _check_schema(spec, sub, f"{where}.{key}[{index}]", problems)


def test_the_document_is_structurally_valid_openapi_3(spec):
    assert re.fullmatch(r"3\.0\.\d+", spec["openapi"])
    assert spec["info"]["title"] and spec["info"]["version"]
    problems = []
    for name, schema in spec["components"]["schemas"].items():
        _check_schema(spec, schema, f"components.schemas.{name}", problems)
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert path.startswith("/"), where
        assert operation.get("responses"), where
        for code, response in operation["responses"].items():
            assert code == "default" or re.fullmatch(r"[1-5](\d\d|XX)", code), (where, code)
            response = resolve(spec, response)
            assert "description" in response, (where, code)
            for media in (response.get("content") or {}).values():
                _check_schema(spec, media.get("schema", {}), f"{where} {code}", problems)
        declared = {p["name"] for p in all_parameters(spec, path, operation) if p["in"] == "path"}
        assert declared == set(re.findall(r"\{(\w+)\}", path)), where
        for parameter in all_parameters(spec, path, operation):
            if parameter["in"] not in PARAMETER_LOCATIONS:
                problems.append(f"{where}: parameter {parameter['name']} in {parameter['in']!r}")
            if parameter["in"] == "path" and parameter.get("required") is not True:
                problems.append(f"{where}: path parameter {parameter['name']} not required")
            _check_schema(spec, parameter.get("schema", {}), f"{where} {parameter['name']}", problems)
        body = operation.get("requestBody")
        if body:
            assert body.get("content"), where
            for media in body["content"].values():
                _check_schema(spec, media.get("schema", {}), f"{where} body", problems)
        for requirement in operation.get("security", []):
            assert set(requirement) <= set(spec["components"]["securitySchemes"]), where
    assert problems == []


# -- every 4xx documented with the error shape ------------------------------------------------

def _is_error_schema(spec, response) -> bool:
    schema = ((resolve(spec, response).get("content") or {}).get("application/json") or {}).get("schema")
    return bool(schema) and resolve(spec, schema) is spec["components"]["schemas"]["Error"]


def test_every_4xx_response_is_documented_with_the_error_schema(spec):
    missing = [f"{method.upper()} {path} {code}" for path, method, operation in operations(spec)
               for code, response in operation["responses"].items()
               if code.startswith("4") and not _is_error_schema(spec, response)]
    assert missing == []


def test_the_4xx_every_client_can_meet_are_documented(spec):
    missing = []
    for path, method, operation in operations(spec):
        codes = set(operation["responses"])
        where = f"{method.upper()} {path}"
        if operation.get("security"):
            missing += [f"{where} 401"] if "401" not in codes else []
        if "{job_id}" in path:
            missing += [f"{where} 404"] if "404" not in codes else []
        body = operation.get("requestBody", {}).get("content", {})
        if "application/json" in body:
            missing += [f"{where} {c}" for c in ("400", "422") if c not in codes]
        if any(p["in"] == "query" for p in operation.get("parameters", [])) or body:
            missing += [f"{where} 422"] if "422" not in codes else []
    assert sorted(set(missing)) == []


# -- the validators, field by field -------------------------------------------------------------

def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule)


def argument_schemas(app):
    """(path, method, location, schema instance) of every flask-smorest argument schema."""
    found = []
    for rule in app.url_map.iter_rules():
        doc = getattr(app.view_functions[rule.endpoint], "_apidoc", {})
        for argument in doc.get("arguments", {}).get("parameters", []):
            schema = argument["schema"]
            schema = schema() if isinstance(schema, type) else schema
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((_openapi_path(rule.rule), method.lower(), argument["in"], schema))
    return found


def _documented_field(spec, operation, location, name):
    if location == "query":
        (parameter,) = [p for p in operation.get("parameters", [])
                        if p["name"] == name and p["in"] == "query"]
        return parameter["schema"]
    media = {"json": "application/json", "form": "multipart/form-data",
             "files": "multipart/form-data"}[location]
    body = resolve(spec, operation["requestBody"]["content"][media]["schema"])
    return resolve(spec, body["properties"][name])


def _expected(field: ma.fields.Field) -> dict:
    """What the document must say of ``field``, from its validators."""
    expected = {}
    for validator in field.validators:
        if isinstance(validator, ma.validate.OneOf):
            expected["enum"] = list(validator.choices)
        elif isinstance(validator, ma.validate.Range):
            expected.update({k: v for k, v in (("minimum", validator.min), ("maximum", validator.max))
                             if v is not None})
        elif isinstance(validator, ma.validate.Length):
            expected.update({k: v for k, v in (("minLength", validator.min), ("maxLength", validator.max),
                                               ("minLength", validator.equal), ("maxLength", validator.equal))
                             if v is not None})
    return expected


def test_every_validator_of_every_argument_is_in_the_document(app, spec):
    arguments = argument_schemas(app)
    assert len(arguments) >= 9
    compared, mismatches = 0, []
    for path, method, location, schema in arguments:
        operation = spec["paths"][path][method]
        for name, field in schema.load_fields.items():
            if name == "config" and location == "form":
                continue  # the render config: compared with the catalog below
            documented = _documented_field(spec, operation, location, field.data_key or name)
            checks = [(documented, _expected(field))]
            inner = getattr(field, "inner", None)
            if inner is not None:
                assert documented.get("type") == "array", (path, name)
                checks.append((documented["items"], _expected(inner)))
            for node, expected in checks:
                for key, value in expected.items():
                    compared += 1
                    if node.get(key) != value:
                        mismatches.append((method, path, name, key, value, node.get(key)))
    assert compared >= 20
    assert mismatches == []


def test_the_status_filter_is_an_array_of_the_statuses(spec):
    (status,) = [p for p in spec["paths"]["/api/v1/renders"]["get"]["parameters"] if p["name"] == "status"]
    assert status["schema"]["type"] == "array"
    assert status["schema"]["items"]["enum"] == [s.value for s in RenderStatus]
    assert status.get("explode") is False and status.get("style", "form") == "form"  # a,b,c
    answered = spec["components"]["schemas"]["RenderJob"]["properties"]["status"]
    assert answered["enum"] == [s.value for s in RenderStatus]


def test_the_status_filter_takes_what_the_document_says(client, user_factory, auth_headers,
                                                         render_job_factory):
    owner = user_factory()
    render_job_factory(owner, status=RenderStatus.QUEUED)
    render_job_factory(owner, status=RenderStatus.FAILED)
    headers = auth_headers(owner)
    both = client.get("/api/v1/renders?status=queued,failed", headers=headers)
    assert both.status_code == 200 and both.get_json()["total"] == 2
    spaced = client.get("/api/v1/renders?status=queued, failed", headers=headers)
    assert spaced.status_code == 200 and spaced.get_json()["total"] == 2
    one = client.get("/api/v1/renders?status=failed", headers=headers).get_json()
    assert [job["status"] for job in one["items"]] == ["failed"]
    bad = client.get("/api/v1/renders?status=queued,nope", headers=headers)
    assert bad.status_code == 422 and "query.status" in bad.get_json()["error"]["details"]["fields"]


def test_every_page_parameter_has_a_maximum(spec):
    pages = [p for _path, _method, op in operations(spec) for p in op.get("parameters", [])
             if p["name"] in ("page", "per_page")]
    assert len(pages) >= 4
    assert all(isinstance(p["schema"].get("maximum"), int) for p in pages)


@pytest.mark.parametrize(("path", "method"), [("/api/v1/auth/register", "post"),
                                              ("/api/v1/auth/password-reset/confirm", "post"),
                                              ("/api/v1/account", "patch")])
def test_new_passwords_are_documented_with_the_policy(spec, path, method):
    body = resolve(spec, spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"])
    password = resolve(spec, body["properties"]["password"])
    assert (password["minLength"], password["maxLength"]) == (MIN_LENGTH, MAX_LENGTH)
    assert "common" in password["description"] and "email" in password["description"]


def test_the_password_lengths_the_document_gives_are_the_ones_enforced(client):
    def register(n, password):
        return client.post("/api/v1/auth/register",
                           json={"email": f"len{n}@example.com", "password": password})

    assert register(1, "q7-walrus"[:MIN_LENGTH - 1]).status_code == 422
    assert register(2, ("q7-walrus-" * 30)[:MAX_LENGTH + 1]).status_code == 422
    assert register(3, "q7-walrus-lantern"[:MIN_LENGTH]).status_code == 201
    assert register(4, ("q7-walrus-" * 30)[:MAX_LENGTH]).status_code == 201


# -- the render config part ---------------------------------------------------------------------

def _oas(schema: dict) -> dict:
    """A JSON Schema node of the catalog as OpenAPI 3.0 says it (null -> nullable, anchored pattern)."""
    expected = {k: schema[k] for k in ("enum", "minimum", "maximum", "minLength", "maxLength")
                if k in schema}
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else list(types)
        expected["type"] = next(t for t in types if t != "null")
        if "null" in types:
            expected["nullable"] = True
    if "pattern" in schema:
        expected["pattern"] = f"^(?:{schema['pattern']})$"
    return expected


def test_the_render_config_part_is_the_catalogs_json_schema(spec):
    body = spec["paths"]["/api/v1/renders"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert body["encoding"]["config"]["contentType"] == "application/json"
    config = resolve(spec, body["schema"]["properties"]["config"])
    variants = {resolve(spec, v)["properties"]["template"]["enum"][0]: resolve(spec, v)
                for v in config["oneOf"]}
    assert sorted(variants) == sorted(catalog.template_ids())
    top = catalog.config_schema()
    mismatches = []
    for template, variant in variants.items():
        assert variant["type"] == "object" and variant["additionalProperties"] is False
        assert variant["required"] == ["template"]
        assert set(variant["properties"]) == set(top["properties"])
        for name, node in top["properties"].items():
            if name in ("template", "options"):
                continue
            for key, value in _oas(node).items():
                if variant["properties"][name].get(key) != value:
                    mismatches.append((template, name, key, value, variant["properties"][name].get(key)))
        options = resolve(spec, variant["properties"]["options"])
        assert options["type"] == "object" and options["additionalProperties"] is False
        expected_options = catalog.options_schema(template)["properties"]
        assert set(options["properties"]) == set(expected_options)
        for name, node in expected_options.items():
            for key, value in _oas(node).items():
                if options["properties"][name].get(key) != value:
                    mismatches.append((template, f"options.{name}", key, value,
                                       options["properties"][name].get(key)))
    assert mismatches == []


def test_the_anchored_patterns_accept_exactly_what_the_validator_accepts():
    from app.rendering import schema as jsonschema

    for template in catalog.template_ids():
        for name, node in catalog.options_schema(template)["properties"].items():
            if "pattern" not in node:
                continue
            anchored = re.compile(_oas(node)["pattern"])
            for sample in ("#1a2b3c", "background", "x#1a2b3c", "#1a2b3cx", "http://x/y.png", "a" * 41):
                errors = {}
                jsonschema.check(sample, {"type": "string", "pattern": node["pattern"]}, name, errors)
                assert (anchored.search(sample) is not None) == (not errors), (template, name, sample)
