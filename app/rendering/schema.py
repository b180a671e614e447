"""A small JSON Schema checker for the subset the render catalog uses.

Supported keywords: ``type`` (string or list, incl. ``"null"``), ``enum``, ``minimum``, ``items``,
``minItems``, ``maxItems``, ``required``,
``maximum``, ``minLength``, ``maxLength``, ``pattern``, ``properties``,
``additionalProperties: false``. The catalog's schemas are written with nothing else, which a
unit test checks, so the schemas the API serves mean exactly what is enforced here.
"""

from __future__ import annotations

import math
import re
from typing import Any

SUPPORTED_KEYWORDS = {
    "type",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "properties",
    "additionalProperties",
    "title",
    "description",
    "default",
    "format",
    "x-asset",
    "x-widget",
    "required",
    "items",
    "maxItems",
    "minItems",
}

_TYPES = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def check(value: Any, schema: dict, path: str, errors: dict[str, list[str]]) -> None:
    """Append a message per violation to ``errors[path]``."""
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_TYPES[name](value) for name in names):
            errors.setdefault(path, []).append(f"Must be of type {' or '.join(names)}.")
            return
    if "enum" in schema and value not in schema["enum"]:
        shown = ", ".join("null" if v is None else str(v) for v in schema["enum"])
        errors.setdefault(path, []).append(f"Must be one of: {shown}.")
        return
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if "minimum" in schema and value < schema["minimum"]:
            errors.setdefault(path, []).append(f"Must be at least {schema['minimum']}.")
        if "maximum" in schema and value > schema["maximum"]:
            errors.setdefault(path, []).append(f"Must be at most {schema['maximum']}.")
    elif isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.setdefault(path, []).append(f"Must be at least {schema['minLength']} characters.")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.setdefault(path, []).append(f"Must be at most {schema['maxLength']} characters.")
        if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
            errors.setdefault(path, []).append(schema.get("x-pattern-message", "Has the wrong format."))
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.setdefault(path, []).append(f"Must have at least {schema['minItems']} item(s).")
            return
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.setdefault(path, []).append(f"Must have at most {schema['maxItems']} items.")
            return
        if "items" in schema:
            for index, item in enumerate(value):
                check(item, schema["items"], f"{path}[{index}]", errors)
    elif isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                errors.setdefault(f"{path}.{key}", []).append("This field is required.")
        props = schema.get("properties", {})
        for key, item in value.items():
            sub = f"{path}.{key}"
            if key in props:
                check(item, props[key], sub, errors)
            elif schema.get("additionalProperties", True) is False:
                errors.setdefault(sub, []).append("Unknown field.")


def unsupported_keywords(schema: dict) -> set[str]:
    """Keywords in ``schema`` (recursively) that :func:`check` does not enforce."""
    found = set(schema) - SUPPORTED_KEYWORDS - {"x-pattern-message"}
    for sub in schema.get("properties", {}).values():
        found |= unsupported_keywords(sub)
    if isinstance(schema.get("items"), dict):
        found |= unsupported_keywords(schema["items"])
    return found
