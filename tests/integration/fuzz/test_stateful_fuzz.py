"""Stateful fuzzing: schemathesis follows the OpenAPI links of ``POST /renders`` (201) to read,
cancel, retry, pay for and download the job it created, with every check on every step.

The created jobs are queued in the run's own Redis database, which no worker reads; the fuzz
user's fixture empties the queues, tables and storage afterwards.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from tests.integration.fuzz.conftest import examples
from tests.integration.fuzz.test_openapi_fuzz import (
    CHECKS,
    authenticated_schema,
    negative_data_rejection,
)
from tests.support import render_media

CREATE = ("POST", "/api/v1/renders")
VALID_CONFIG = {"template": "bars", "size": "720x720", "fps": 24}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    return Path(render_media.tone(tmp_path_factory.mktemp("stateful") / "t.wav", 1.0)).read_bytes()


def test_create_then_follow_the_links(fuzz_app, mint_tokens, clip):
    schema = authenticated_schema(fuzz_app, mint_tokens)
    seen: Counter = Counter()
    # every valid upload a new order (an identical one would answer 200 with the job it already
    # has, and a replayed example would then follow other links than the first run: flaky)
    orders = itertools.count()

    class Workflow(schema.as_state_machine()):
        def before_call(self, case):
            # a valid upload for positive cases, so links have a job to lead to
            if (
                case.method.upper(),
                case.path,
            ) == CREATE and case.meta.generation.mode == GenerationMode.POSITIVE:
                config = {**VALID_CONFIG, "title": f"order {next(orders)}"}
                case.body = {"audio": clip, "config": json.dumps(config)}

        def get_call_kwargs(self, case):
            access, refresh = mint_tokens()
            token = refresh if case.path == "/api/v1/auth/refresh" else access
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def after_call(self, response, case):
            seen[(case.method.upper(), case.path, response.status_code)] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            checks = CHECKS
            if isinstance(case.body, dict) and case.body.get("audio") is clip:
                # our valid upload, carried into a case derived from it: its acceptance is right
                checks = [c for c in CHECKS if c is not negative_data_rejection]
            case.validate_response(response, checks=checks, transport_kwargs=kwargs)

    Workflow.run(
        settings=settings(
            max_examples=examples(15),
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert seen[(*CREATE, 201)] > 0, seen
    followed = {(m, p) for (m, p, s) in seen if p.startswith("/api/v1/renders/{")}
    assert ("GET", "/api/v1/renders/{job_id}") in followed, seen
