"""A JSON integer longer than Python converts (4,300 digits) is a 400, not a 500.

Found by the hostile-JSON fuzzing (tests/integration/fuzz/test_hostile_json.py):
``POST /api/v1/auth/password-reset {"email": 999...9}`` with 5,000 nines answered 500.
"""

from __future__ import annotations

import pytest

HUGE = "9" * 5000


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/password-reset"]
)
def test_an_unconvertible_integer_is_a_malformed_body(client, path):
    response = client.post(
        path, data='{"email": ' + HUGE + ', "password": "x"}', content_type="application/json"
    )
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "malformed_body"
    # (the body is parsed once, in app/web/json_body.py: an unconvertible number is malformed)


def test_long_digit_runs_inside_strings_and_at_the_limit_are_untouched(client):
    at_limit = client.post(
        "/api/v1/auth/password-reset", data='{"email": ' + "9" * 4300 + "}", content_type="application/json"
    )
    assert at_limit.status_code == 422  # parsed; refused by the field's own rule
    assert "email" in at_limit.json["error"]["details"]["fields"]
    in_string = client.post("/api/v1/auth/password-reset", json={"email": HUGE + "@example.com"})
    assert in_string.status_code == 422
