"""A revoked token is refused on every protected route of the app, found from its url map.

Nothing here lists the protected routes. Every rule and method of ``app.url_map`` is
classified from the app itself:

- an operation of the OpenAPI document is protected when the document gives it a
  ``security`` requirement, and the app must agree: called without a token it answers
  401 ``unauthorized`` exactly when it is documented as protected;
- a route outside the document is protected when it answers 401 ``unauthorized`` without a
  token; otherwise it must be one of the few public plumbing paths below. Any other route
  fails the test as unclassified, so a route added later is either swept or noticed.

Each protected route is then called with the tokens of a login that has logged out (with an
id of the user's own job in the path) and must answer 401 ``token_revoked`` and change
nothing; the same call with a live token of the same user is not a 401, so it is the
revocation that refused it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from werkzeug.routing import Rule, UUIDConverter

from app.accounts.tokens import issue_token_pair
from app.extensions import db
from app.models import RenderJob, RenderStatus, User
from tests.support import factories

# Public routes that are not part of the JSON API document: liveness, readiness, metrics,
# the API document and its UI, static files. Paths, not endpoint names: they are the contract.
PUBLIC_PLUMBING = {
    "/healthz", "/readyz", "/metrics", "/api/docs", "/api/openapi.json",
    "/static/<path:filename>", "/static/swagger-ui/<path:filename>",
}
# The web app's page shells and assets: served to anyone (whether someone is signed in is only
# known in the browser, which then calls the API with its token).
PUBLIC_PAGES = {
    "/", "/signup", "/login", "/forgot-password", "/reset-password", "/create",
    "/renders/<uuid:job_id>", "/history", "/account", "/assets/<path:filename>",
}
# The admin console answers anonymous requests with a redirect to its login page (its own
# session, never a token: tests/integration/admin/test_access_sweep.py sweeps it); these of its
# paths are public: the login page and the stylesheets and scripts it needs.
CONSOLE_PREFIX = "/admin"
CONSOLE_PUBLIC = {"/admin/login", "/admin/static/<path:filename>", "/admin/console-static/<path:filename>"}
# What the sweep must at least find (a floor against a classifier that finds nothing).
KNOWN_PROTECTED = {
    ("GET", "/api/v1/account"), ("PATCH", "/api/v1/account"), ("GET", "/api/v1/account/history"),
    ("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/refresh"),
    ("GET", "/api/v1/renders"), ("POST", "/api/v1/renders"),
    ("GET", "/api/v1/renders/<uuid:job_id>"), ("POST", "/api/v1/renders/<uuid:job_id>/cancel"),
    ("POST", "/api/v1/renders/<uuid:job_id>/retry"),
    ("POST", "/api/v1/renders/<uuid:job_id>/checkout"),
    ("GET", "/api/v1/renders/<uuid:job_id>/download"),
}


@dataclass(frozen=True)
class Route:
    method: str
    rule: Rule

    def __str__(self) -> str:
        return f"{self.method} {self.rule.rule}"

    def url(self, job_id) -> str:
        values = {name: (job_id if isinstance(self.rule._converters[name], UUIDConverter) else "x")
                  for name in self.rule.arguments}
        return self.rule.build(values, append_unknown=False)[1]


def _openapi_path(rule: Rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def _call(client, route: Route, job_id, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(route.url(job_id), method=route.method, headers=headers, json={})


def _error_code(response) -> str | None:
    body = response.get_json(silent=True)
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def classify_routes(app, client, job_id) -> tuple[list[Route], list[str]]:
    """-> (protected routes, problems: unclassified or wrongly documented routes)."""
    spec = client.get("/api/openapi.json").get_json()
    default_security = spec.get("security")
    protected, problems = [], []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            route = Route(method, rule)
            anonymous = _call(client, route, job_id)
            wants_token = anonymous.status_code == 401 and _error_code(anonymous) == "unauthorized"
            operation = spec["paths"].get(_openapi_path(rule), {}).get(method.lower())
            if operation is not None:
                documented = bool(operation.get("security", default_security))
                if documented != wants_token:
                    problems.append(f"{route}: documented {'with' if documented else 'without'} "
                                    f"security, but without a token it answers "
                                    f"{anonymous.status_code} {_error_code(anonymous)}")
            elif rule.rule.startswith(CONSOLE_PREFIX):
                to_login = (anonymous.status_code == 302
                            and anonymous.headers["Location"].startswith("/admin/login"))
                if not to_login and rule.rule not in CONSOLE_PUBLIC:
                    problems.append(f"{route}: a console path that does not send anonymous visitors "
                                    f"to the login page ({anonymous.status_code})")
            elif not wants_token and rule.rule not in PUBLIC_PLUMBING | PUBLIC_PAGES:
                problems.append(f"{route}: unclassified (not in the OpenAPI document, answers "
                                f"{anonymous.status_code} without a token, not a known public path)")
            if wants_token:
                protected.append(route)
    return protected, problems


@pytest.fixture
def revoked_login(client, accounts):
    """A user with a queued job, and the access and refresh token of a login that logged out."""
    session = accounts.register()
    user = db.session.scalar(db.select(User))
    job = factories.make_render_job(user, status=RenderStatus.QUEUED)
    logout = client.post("/api/v1/auth/logout", headers=accounts.bearer(session["access_token"]))
    assert logout.status_code == 204
    return user, job, session


def _state(user_id, job_id) -> tuple:
    db.session.expire_all()
    user, job = db.session.get(User, user_id), db.session.get(RenderJob, job_id)
    jobs = db.session.scalar(db.select(db.func.count()).select_from(RenderJob))
    return (user.email, user.password_hash, user.tokens_valid_after, job.status, job.attempts,
            job.canceled_at, jobs)


def test_a_revoked_token_is_refused_on_every_protected_route(app, client, revoked_login):
    user, job, revoked = revoked_login
    protected, problems = classify_routes(app, client, job.id)
    assert problems == []
    found = {(route.method, route.rule.rule) for route in protected}
    assert KNOWN_PROTECTED <= found, KNOWN_PROTECTED - found
    before = _state(user.id, job.id)

    kinds = {}
    for route in protected:
        kinds[str(route)] = "access_token"
        response = _call(client, route, job.id, revoked["access_token"])
        if response.status_code == 401 and _error_code(response) == "invalid_token":
            kinds[str(route)] = "refresh_token"  # the route takes a refresh token (POST /auth/refresh)
            response = _call(client, route, job.id, revoked["refresh_token"])
        assert response.status_code == 401, (str(route), response.status_code)
        assert _error_code(response) == "token_revoked", (str(route), response.get_json())

    assert _state(user.id, job.id) == before  # no revoked call reached its view
    for route in protected:  # the same calls with a live login of the same user get through
        live = issue_token_pair(user)
        control = _call(client, route, job.id, getattr(live, kinds[str(route)]))
        assert control.status_code != 401, (str(route), control.get_json())
