"""schemathesis over the served OpenAPI document (``/api/openapi.json``), in-process through
WSGI, authenticated, with every check: one test per operation and generation mode.

The operations are read from the document an app serves, so a new route is fuzzed without
anyone adding it here. Examples are bounded and derandomized in ``make test``;
``make fuzz`` raises the count (WAVEFRAME_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from tests.integration.fuzz.conftest import examples, served_operations

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    use_after_free,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]
REFRESH_OPERATIONS = {"/api/v1/auth/refresh"}


def authenticated_schema(app, mint_tokens):
    """The served document, with a bearer token minted afresh for every request."""
    config = schemathesis.config.SchemathesisConfig()
    config.projects.default.generation.update(allow_extra_parameters=False, with_security_parameters=False)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)

    @schema.auth(refresh_interval=None)
    class Bearer:
        def get(self, case, context):
            access, refresh = mint_tokens()
            return refresh if case.path in REFRESH_OPERATIONS else access

        def set(self, case, token, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

    return schema


def fuzz_settings(default_examples: int) -> settings:
    return settings(
        max_examples=examples(default_examples),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def fuzz_cases() -> list:
    """Every operation with valid data; and with invalid data where it has an input to break
    (a body, a query or header parameter: a bare string path segment has no invalid form)."""
    cases = []
    for method, path, operation in served_operations():
        cases.append(
            pytest.param(method, path, GenerationMode.POSITIVE, id=f"{method.upper()} {path} positive")
        )
        inputs = [p for p in operation.get("parameters", []) if p["in"] in {"query", "header"}]
        if inputs or operation.get("requestBody"):
            cases.append(
                pytest.param(method, path, GenerationMode.NEGATIVE, id=f"{method.upper()} {path} negative")
            )
    return cases


@pytest.mark.parametrize("method, path, mode", fuzz_cases())
def test_every_operation_answers_as_documented(fuzz_app, mint_tokens, method, path, mode):
    schema = authenticated_schema(fuzz_app, mint_tokens)
    operation = schema[path][method.upper()]

    @given(case=operation.as_strategy(generation_mode=mode, auth_storage=schema.auth))
    @fuzz_settings(12)
    def fuzz(case):
        case.call_and_validate(checks=CHECKS)

    fuzz()
