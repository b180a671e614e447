"""JSON request bodies are parsed once, with a depth limit, before anything else reads them.

Python's JSON parser (and every recursive walk after it: marshmallow, our validators, logging)
recurses once per level, so a body of 100 000 ``[`` would end in a ``RecursionError`` -- a 500.
Every JSON body is checked here, in the request plumbing, ahead of the rate limiter's key
functions and of webargs: malformed JSON or more than ``MAX_JSON_DEPTH`` levels is a 400
``malformed_body``. ``loads_bounded`` applies the same rule to JSON carried in a form field.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request

from app.errors import BadRequest, PayloadTooLarge

MAX_JSON_DEPTH = 32  # levels of arrays/objects; the API's deepest document (a render config) has 3


class JSONTooDeep(ValueError):
    """The document nests arrays/objects more than ``MAX_JSON_DEPTH`` levels."""


def depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests lists/dicts more than ``limit`` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def loads_bounded(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises ``JSONTooDeep`` (a ValueError) past ``limit`` levels."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONTooDeep(f"nested more than {limit} levels") from None
    if depth_exceeds(value, limit):
        raise JSONTooDeep(f"nested more than {limit} levels")
    return value


def check_json_body() -> None:
    """Before-request hook: a JSON body must parse and nest at most ``MAX_JSON_DEPTH`` levels."""
    if not request.is_json:
        return
    # A body without Content-Length (chunked) escapes the header check of app.web.http: read
    # one byte past the JSON limit at most, and refuse it if that byte came (413).
    limit = current_app.config["MAX_JSON_BODY_BYTES"]
    request.max_content_length = limit + 1
    data = request.get_data(cache=True)
    if len(data) > limit:
        raise PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes.",
                              details={"limit_bytes": limit})
    if not data:
        return
    try:
        loads_bounded(data)
    except JSONTooDeep:
        raise BadRequest(f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels of "
                         "arrays and objects).", code="malformed_body",
                         details={"max_depth": MAX_JSON_DEPTH}) from None
    except ValueError:
        raise BadRequest("The request body could not be parsed; send valid JSON.",
                         code="malformed_body") from None
