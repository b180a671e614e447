"""Security headers on every kind of response -- JSON, errors (401, 404, 405, 413, 422, 500),
HTML pages, static files, the OpenAPI document and Swagger UI, health, redirects, preflights --
and on every argument-free GET route of the url map; then the CORS preflight matrix."""

from __future__ import annotations

import pytest

from tests.integration.security.conftest import api_routes

ALLOWED_ORIGIN = "https://app.example.com"
OTHER_ORIGINS = [
    "https://evil.example",
    "null",
    "https://app.example.com.evil.io",
    "http://app.example.com",
    "https://APP.example.com:8443",
]


def assert_secure_headers(response, what: str, *, https: bool = False) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", what
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", what
    assert len(headers.get("X-Request-ID", "")) >= 8, what
    csp = headers.get("Content-Security-Policy", "")
    if response.mimetype == "text/html":  # the app's default, or a page's own stricter one
        for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
            assert directive in csp, (what, csp)
        assert "'unsafe-eval'" not in csp and "*" not in csp, (what, csp)
    elif response.mimetype == "application/json":
        assert csp == "default-src 'none'; frame-ancestors 'none'", (what, csp)
    else:  # static files: the page policy of the blueprint serving them, or the API's
        assert "frame-ancestors 'none'" in csp and "*" not in csp, (what, csp)
    assert ("Strict-Transport-Security" in headers) == https, what
    assert "Server" not in headers or "Werkzeug" not in headers["Server"], what


@pytest.fixture(scope="session")
def failing_app(make_app, app):
    """An app with one route that raises: the 500 answer must carry the headers too."""
    application = make_app(MAX_JSON_BODY_BYTES=1024, TESTING=False)  # 500s answered, not raised

    @application.get("/api/v1/_boom")
    def _boom():
        raise RuntimeError("boom")

    return application


def test_every_kind_of_response_carries_the_security_headers(
    failing_app, app_ctx, user_factory, auth_headers
):
    client = failing_app.test_client()
    with failing_app.app_context():
        token = auth_headers(user_factory())
        templates = client.get("/api/v1/templates")
        kinds = {
            "json": (client.get("/api/v1/pricing"), 200),
            "json 304": (
                client.get("/api/v1/templates", headers={"If-None-Match": templates.headers["ETag"]}),
                304,
            ),
            "401": (client.get("/api/v1/account"), 401),
            "404": (client.get("/api/v1/nothing-here"), 404),
            "405": (client.delete("/api/v1/pricing"), 405),
            "413": (client.post("/api/v1/auth/login", data="x" * 4096, content_type="application/json"), 413),
            "415": (client.post("/api/v1/auth/login", data="x", content_type="text/plain"), 415),
            "422": (client.get("/api/v1/renders?page=0", headers=token), 422),
            "500": (client.get("/api/v1/_boom"), 500),
            "html page": (client.get("/login"), 200),
            "html 404": (client.get("/no-such-page"), 404),
            "static css": (client.get("/assets/css/base.css"), 200),
            "visualizer static": (client.get("/static/visualizer/index.html"), 200),
            "openapi": (client.get("/api/openapi.json"), 200),
            "swagger ui": (client.get("/api/docs"), 200),
            "healthz": (client.get("/healthz"), 200),
            "head": (client.head("/api/v1/pricing"), 200),
            "options": (client.options("/api/v1/pricing"), 200),
        }
        for what, (response, status) in kinds.items():
            assert response.status_code == status, (what, response.status_code)
            assert_secure_headers(response, what)
        https = client.get("/api/v1/pricing", base_url="https://localhost")
        assert_secure_headers(https, "https json", https=True)
        assert "max-age=31536000" in https.headers["Strict-Transport-Security"]


def test_every_argument_free_get_route_carries_them(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.rule == "/metrics":
            continue
        response = client.get(rule.rule)
        assert response.status_code < 500, rule.rule
        assert_secure_headers(response, rule.rule)
        checked += 1
    assert checked >= 10


@pytest.fixture(scope="session")
def cors_app(make_app, app):
    return make_app(CORS_ORIGINS=[ALLOWED_ORIGIN], RATELIMIT_ENABLED=False)


def preflight(client, path, origin, method, headers=""):
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=request_headers)


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "requested",
    ["", "Authorization", "Content-Type", "If-None-Match", "Authorization, Content-Type", "X-Evil", "Cookie"],
)
def test_cors_preflight_matrix(cors_app, app_ctx, method, requested):
    client = cors_app.test_client()
    # one route per API area of the url map (auth, account, renders, templates, files...)
    areas = {}
    for route in api_routes(cors_app):
        areas.setdefault(route.rule.split("/")[3], route.path())
    assert len(areas) >= 5
    for path in sorted(areas.values()):
        allowed = preflight(client, path, ALLOWED_ORIGIN, method, requested)
        assert allowed.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN, path
        assert "Origin" in allowed.headers.get("Vary", "")
        assert "Access-Control-Allow-Credentials" not in allowed.headers  # bearer tokens only
        assert allowed.headers.get("Access-Control-Max-Age") == "600"
        granted = {
            h.strip().lower()
            for h in allowed.headers.get("Access-Control-Allow-Headers", "").split(",")
            if h.strip()
        }
        wanted = {h.strip().lower() for h in requested.split(",") if h.strip()}
        assert granted <= {"authorization", "content-type", "if-none-match"}, (path, granted)
        assert granted == wanted & {"authorization", "content-type", "if-none-match"}, path
        assert_secure_headers(allowed, f"preflight {path}")
        for origin in OTHER_ORIGINS:
            other = preflight(client, path, origin, method, requested)
            assert "Access-Control-Allow-Origin" not in other.headers, (path, origin)
            assert "Access-Control-Allow-Headers" not in other.headers, (path, origin)


def test_cors_actual_requests_and_the_default_of_no_cors(cors_app, app, app_ctx, client):
    cors_client = cors_app.test_client()
    answer = cors_client.get("/api/v1/pricing", headers={"Origin": ALLOWED_ORIGIN})
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    exposed = answer.headers["Access-Control-Expose-Headers"]
    assert "X-Request-ID" in exposed and "Retry-After" in exposed
    for origin in OTHER_ORIGINS:
        refused = cors_client.get("/api/v1/pricing", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in refused.headers, origin
    # pages and static files are never shared cross-origin, even with the allowed origin
    for path in ("/login", "/assets/css/base.css", "/healthz"):
        page = cors_client.get(path, headers={"Origin": ALLOWED_ORIGIN})
        assert "Access-Control-Allow-Origin" not in page.headers, path
    # the default (CORS_ORIGINS unset): no origin at all is allowed
    for origin in [ALLOWED_ORIGIN, *OTHER_ORIGINS]:
        default = preflight(client, "/api/v1/renders", origin, "POST", "Authorization")
        assert "Access-Control-Allow-Origin" not in default.headers, origin


def test_api_answers_vary_on_origin_when_cors_is_configured(cors_app, app_ctx):
    """Found by this sweep: with one allowed origin Flask-CORS sent no ``Vary: Origin``, so a
    shared cache could serve the web app an answer made for another origin (no CORS header)."""
    client = cors_app.test_client()
    for origin in (ALLOWED_ORIGIN, "https://evil.example", None):
        headers = {"Origin": origin} if origin else {}
        for path in ("/api/v1/templates", "/api/v1/pricing", "/api/v1/nothing"):
            response = client.get(path, headers=headers)
            assert "Origin" in response.headers.get("Vary", ""), (path, origin)
        preflight_answer = preflight(client, "/api/v1/renders", origin or ALLOWED_ORIGIN, "POST")
        assert "Origin" in preflight_answer.headers.get("Vary", "")


def test_a_request_without_an_origin_gets_no_cors_headers(cors_app, app_ctx):
    """No ``Origin``, no CORS request: nothing is sent back about origins (Flask-CORS's default
    would name the configured origin to anyone), while ``Vary: Origin`` still is."""
    client = cors_app.test_client()
    for path in ("/api/v1/templates", "/api/v1/pricing", "/api/v1/nothing"):
        response = client.get(path)
        assert not [name for name in response.headers.keys()
                    if name.startswith("Access-Control-")], (path, dict(response.headers))
        assert "Origin" in response.headers.get("Vary", ""), path
        answered = client.get(path, headers={"Origin": ALLOWED_ORIGIN})
        assert answered.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN, path
