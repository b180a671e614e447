"""What ``GET /templates`` serves: the engine's templates, their option schemas and defaults, as
one JSON document with its ETag (computed once per process: the catalog never changes while it
runs)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from app.rendering import catalog


@lru_cache(maxsize=1)
def templates_document() -> tuple[bytes, str]:
    """(the JSON body, its ETag)."""
    body = json.dumps({"items": catalog.list_templates(), "config_schema": catalog.config_schema()},
                      sort_keys=True, separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:32]


_OAS_KEYWORDS = ("title", "description", "default", "enum", "minimum", "maximum", "minLength",
                 "maxLength", "format", "required", "maxItems", "minItems")


def _oas(node: dict) -> dict:
    """One node of the catalog's JSON Schema as OpenAPI 3.0 says it: one ``type`` (``null``
    becomes ``nullable``), ``pattern`` anchored (the validator matches the whole value), the
    validator's ``x-`` hints kept, nested properties converted too."""
    out = {key: node[key] for key in _OAS_KEYWORDS if key in node}
    out.update({key: value for key, value in node.items() if key.startswith("x-")})
    types = node.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else list(types)
        out["type"] = next(t for t in types if t != "null")
        if "null" in types:
            out["nullable"] = True
    if "pattern" in node:
        out["pattern"] = f"^(?:{node['pattern']})$"
    if "properties" in node:
        out["properties"] = {name: _oas(sub) for name, sub in node["properties"].items()}
    if isinstance(node.get("items"), dict):
        out["items"] = _oas(node["items"])
    if "additionalProperties" in node:
        out["additionalProperties"] = node["additionalProperties"]
    return out


@lru_cache(maxsize=1)
def config_openapi_schema() -> dict:
    """The render ``config`` as an OpenAPI 3.0 schema: one variant per template (``oneOf``), each
    the config schema with ``template`` fixed and ``options`` that template's options schema --
    exactly what ``normalize_config`` enforces."""
    variants = []
    for template in catalog.template_ids():
        variant = _oas(catalog.config_schema())
        variant["properties"]["template"]["enum"] = [template]
        variant["properties"]["options"] = {**_oas(catalog.options_schema(template)),
                                            "title": "Template options"}
        variant["title"] = f"{template} config"
        variants.append(variant)
    return {"oneOf": variants, "description": "The render config, a JSON object (sent as a JSON "
            "part): every field but template optional, defaults as GET /templates shows."}
