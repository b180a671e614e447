"""JSON bodies with an integer literal Python refuses to convert (more than 4,300 digits).

``json.loads`` raises a plain ``ValueError`` for such a number (the interpreter's guard against
quadratic-time conversion), which the argument parser does not take for malformed JSON: it
would surface as a 500. The check runs only when the body holds such a run of digits at all.
"""

from __future__ import annotations

import json
import re
import sys

from flask import Flask, request

from app.errors import BadRequest

# 0 means no limit (then nothing to refuse); the default is 4,300.
_LIMIT = sys.get_int_max_str_digits()
_LONG_DIGITS = re.compile(rb"\d{%d}" % (_LIMIT + 1)) if _LIMIT else None


def init_json_numbers(app: Flask) -> None:
    app.before_request(_refuse_unconvertible_integers)


def _refuse_unconvertible_integers():
    if _LONG_DIGITS is None or not request.is_json or not request.content_length:
        return
    body = request.get_data(cache=True)
    if not _LONG_DIGITS.search(body):
        return
    try:
        json.loads(body)
    except json.JSONDecodeError:
        return  # malformed anyway: the argument parser answers its own 400
    except ValueError as exc:
        raise BadRequest(
            "A number in the JSON body has too many digits.",
            code="malformed_body",
            details={"limit_digits": _LIMIT},
        ) from exc
    except RecursionError:
        return  # too deeply nested: answered where the body is parsed
