"""Fixtures of the API fuzzing: an app with rate limits off (fuzzing is about input, the limits
have their own tests), a registered user whose tokens are minted afresh for every request (a
fuzzed logout must not sign the rest of the run out), and a check that nothing was left queued.

Nothing here renders: no worker runs in the test suite, and after each test the render queues,
the run's Redis database, the tables and the storage folder are emptied.
"""

from __future__ import annotations

import os
import shutil

import pytest

from app.extensions import db, get_redis
from app.models import User
from app.tasks.queues import all_queues
from tests.conftest import reset_state

PASSWORD = "fuzzing-is-fun-42!"


def examples(default: int) -> int:
    """Examples per operation: bounded in ``make test``, many more in ``make fuzz``."""
    return int(os.environ.get("WAVEFRAME_FUZZ_EXAMPLES", default))


@pytest.fixture(scope="session")
def fuzz_app(make_app, app, tmp_path_factory):
    storage = tmp_path_factory.mktemp("fuzz-storage")
    application = make_app(
        RATELIMIT_ENABLED=False,
        STORAGE_LOCAL_ROOT=str(storage),
        RENDER_TMP_DIR=str(tmp_path_factory.mktemp("fuzz-tmp")),
    )
    application.config["FUZZ_STORAGE"] = storage
    return application


@pytest.fixture
def fuzz_user(fuzz_app):
    """A user registered and logged in through the API, as a client would."""
    client = fuzz_app.test_client()
    email = "fuzzer@example.com"
    assert (
        client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
    )
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.json
    with fuzz_app.app_context():
        user_id = db.session.get(User, login.json["user"]["id"]).id
    yield user_id
    reset_state(fuzz_app)
    with fuzz_app.app_context():  # the jobs fuzzing created are gone: nothing left to render
        assert sum(queue.count for queue in all_queues()) == 0
        assert not list(get_redis().scan_iter("rq:job:*"))
    shutil.rmtree(fuzz_app.config["FUZZ_STORAGE"], ignore_errors=True)
    fuzz_app.config["FUZZ_STORAGE"].mkdir(parents=True, exist_ok=True)


@pytest.fixture
def mint_tokens(fuzz_app, fuzz_user):
    """``mint_tokens()`` -> (access, refresh): a fresh login's pair for the fuzz user."""
    from app.accounts.tokens import issue_token_pair

    def _mint():
        with fuzz_app.app_context():
            pair = issue_token_pair(db.session.get(User, fuzz_user))
            db.session.remove()
        return pair.access_token, pair.refresh_token

    return _mint


def served_operations() -> list[tuple[str, str, dict]]:
    """(method, path, operation) of every operation in the OpenAPI document an app serves (no I/O needed)."""
    from app import create_app
    from app.config import TestConfig

    document = create_app(TestConfig(RATELIMIT_ENABLED=False)).test_client().get("/api/openapi.json").json
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
