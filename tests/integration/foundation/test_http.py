"""Health, docs, security headers, CORS, HTTPS and request ids."""

import json
import logging

import pytest


def test_healthz_does_no_io(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql://nobody@127.0.0.1:1/none",
                   REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok", "storage": "ok"}


def test_readyz_is_503_naming_what_failed(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "not_ready" and "redis" in error["message"]
    assert error["details"]["checks"]["redis"] == "unavailable"
    assert error["details"]["checks"]["database"] == "ok"


def test_readyz_names_the_database_when_it_is_down(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql://postgres@127.0.0.1:1/none")
    with app.app_context():
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"]["details"]["checks"]["database"] == "unavailable"


def test_openapi_document_and_swagger_ui_are_served(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    doc = spec.get_json()
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] == "Waveframe API"
    assert "bearerAuth" in doc["components"]["securitySchemes"]
    ui = client.get("/api/docs")
    assert ui.status_code == 200 and b"swagger-ui" in ui.data
    asset = client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    asset.close()


def test_metrics_exposes_prometheus_text(client, render_job_factory):
    render_job_factory()
    client.get("/healthz")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'waveframe_render_jobs{status="queued"} 1.0' in body
    assert 'waveframe_queue_depth{queue="high"}' in body
    assert "waveframe_http_requests_total" in body


def test_security_headers_on_json_and_html(client):
    api = client.get("/healthz")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.headers["X-Frame-Options"] == "DENY"
    assert api.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in api.headers  # plain HTTP
    html = client.get("/api/docs")
    assert "default-src 'self'" in html.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in html.headers["Content-Security-Policy"]


def test_hsts_behind_an_https_proxy(make_app, app):
    proxied = make_app(PROXY_HOPS=1)
    with proxied.app_context():
        response = proxied.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_redirects_plain_http_but_not_health_checks(make_app):
    app = make_app(FORCE_HTTPS=True, PROXY_HOPS=1)  # behind Railway's proxy
    with app.app_context():
        web = app.test_client()
        response = web.get("/api/openapi.json")
        assert response.status_code == 308
        assert response.headers["Location"].startswith("https://")
        assert web.get("/api/openapi.json", headers={"X-Forwarded-Proto": "https"}).status_code == 200
        assert web.get("/healthz").status_code == 200


def test_request_id_is_echoed_or_made(client):
    echoed = client.get("/healthz", headers={"X-Request-ID": "abcdef123456"})
    assert echoed.headers["X-Request-ID"] == "abcdef123456"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id!"}).headers["X-Request-ID"]
    assert len(made) == 32 and made != "bad id!"


@pytest.mark.parametrize(("origin", "allowed"), [("https://app.waveframe.example", True),
                                                 ("https://evil.example", False)])
def test_cors_is_restricted_to_configured_origins(make_app, origin, allowed):
    app = make_app(CORS_ORIGINS=["https://app.waveframe.example"])
    with app.app_context():
        response = app.test_client().options(
            "/api/openapi.json", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed


def test_access_log_is_one_json_line_with_request_id_and_no_secrets(client, capfd):
    client.get("/healthz")  # health checks are not access-logged
    client.get("/api/openapi.json?token=supersecret", headers={"X-Request-ID": "req-abcdef12",
                                                              "Authorization": "Bearer eyJx.eyJy.zzz"})
    err = capfd.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [entry for entry in lines if entry.get("event") == "request"]
    assert [a["route"] for a in access] == ["/api/openapi.json"]
    assert access[0]["request_id"] == "req-abcdef12" and access[0]["status"] == 200
    assert "supersecret" not in err and "eyJx" not in err


def test_rate_limits_are_counted_in_redis(app, client, redis_conn):
    pattern = f"*{app.config['RATELIMIT_KEY_PREFIX']}*auth.login*"
    assert list(redis_conn.scan_iter(pattern)) == []
    response = client.post("/api/v1/auth/login", json={"email": "nobody@example.com",
                                                        "password": "not-the-password-1"})
    assert response.status_code == 401 and "X-RateLimit-Remaining" in response.headers
    counters = list(redis_conn.scan_iter(pattern))  # shared by every web process
    assert len(counters) == 4  # per IP and per email, by the minute and by the hour
    assert all(int(redis_conn.get(key)) == 1 for key in counters)


def test_logging_root_has_one_handler_however_many_apps(make_app):
    make_app()
    make_app()
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "_waveframe", False)]
    assert len(handlers) == 1
