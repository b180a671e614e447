"""The url map as the sweeps see it: API routes, their concrete paths, which need a token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.integration.renders.conftest import render_tmp  # noqa: F401  (temp folder of uploads)
from tests.support.fake_stripe import FakeStripe

CONVERTERS = ("uuid:", "string:", "int:", "path:", "")
PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    arguments: tuple[str, ...]

    def path(self, **values) -> str:
        path = self.rule
        for argument in self.arguments:
            value = values.get(argument, uuid.uuid4())
            for converter in CONVERTERS:
                path = path.replace(f"<{converter}{argument}>", str(value))
        return path

    @property
    def id_arguments(self) -> tuple[str, ...]:
        return tuple(a for a in self.arguments if a.endswith("_id"))

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def api_routes(app) -> list[Route]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in sorted(set(PROBED_METHODS) & rule.methods):
            routes.append(Route(method, rule.rule, tuple(sorted(rule.arguments))))
    return routes


def call(client, route: Route, headers: dict | None = None, **values):
    kwargs = {"json": {}} if route.method in {"POST", "PUT", "PATCH"} else {}
    return client.open(route.path(**values), method=route.method, headers=headers or {}, **kwargs)


@pytest.fixture(scope="session")
def sweep_app(make_app, app):
    """The app as production runs it (payments on, against a local fake Stripe), with rate
    limits off: a sweep sends hundreds of requests from one address."""
    fake = FakeStripe().start()
    yield make_app(
        RATELIMIT_ENABLED=False,
        STRIPE_SECRET_KEY="sk_test_" + "s" * 24,
        STRIPE_API_BASE=fake.url,
        STRIPE_MAX_NETWORK_RETRIES=0,
    )
    fake.stop()


@pytest.fixture
def sweep_client(sweep_app, app_ctx):
    with sweep_app.app_context():
        yield sweep_app.test_client()


@pytest.fixture
def protected_routes(sweep_app, sweep_client) -> list[Route]:
    """Every API route that answers 401 to a request without a token (found, not listed)."""
    found = [r for r in api_routes(sweep_app) if call(sweep_client, r).status_code == 401]
    assert len(found) >= 10, [str(r) for r in found]
    return found
