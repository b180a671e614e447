"""Proxy headers (X-Forwarded-For/-Proto/-Host) are believed only when the deployment says a
proxy sits in front (PROXY_HOPS); with nothing configured a client cannot choose its own IP
address (and so reset per-IP limits), its scheme or its host with a header."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Config

ROOT = Path(__file__).resolve().parents[3]
RESET_PER_IP = 5  # app.accounts.limits.RESET_PER_IP: 5 per minute


def _reset(web, email, **headers):
    return web.post("/api/v1/auth/password-reset", json={"email": email}, headers=headers,
                    environ_base={"REMOTE_ADDR": "10.40.0.1"})


def test_embedded_default_and_make_run_trust_no_proxy():
    assert Config({}).PROXY_HOPS == 0
    assert Config({"APP_ENV": "development"}).PROXY_HOPS == 0
    assert Config({"PROXY_HOPS": "1"}).PROXY_HOPS == 1


def test_production_config_trusts_railways_one_hop():
    assert Config({"APP_ENV": "production"}).PROXY_HOPS == 1
    assert Config({"APP_ENV": "production", "PROXY_HOPS": "0"}).PROXY_HOPS == 0
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "PROXY_HOPS=1" in dockerfile
    assert "PROXY_HOPS=${PROXY_HOPS:-1}" in (ROOT / "Procfile").read_text()
    assert "PROXY_HOPS" not in (ROOT / "Procfile.dev").read_text()  # make run: the default, 0


def test_readme_and_env_example_say_when_to_set_it():
    env_example = (ROOT / ".env.example").read_text()
    assert "PROXY_HOPS=0" in env_example and "Railway" in env_example
    readme = (ROOT / "README.md").read_text()
    assert "| `PROXY_HOPS` | `0`" in readme and "X-Forwarded-For" in readme


@pytest.fixture
def default_web(app, make_app):
    web_app = make_app()
    with web_app.app_context():
        yield web_app.test_client()


@pytest.fixture
def proxied_web(app, make_app):
    web_app = make_app(PROXY_HOPS=1)
    with web_app.app_context():
        yield web_app.test_client()


def test_by_default_x_forwarded_for_does_not_reset_a_per_ip_limit(default_web):
    for attempt in range(RESET_PER_IP):
        response = _reset(default_web, f"user{attempt}@example.com",
                          **{"X-Forwarded-For": f"203.0.113.{attempt}"})
        assert response.status_code == 202, attempt
    limited = _reset(default_web, "late@example.com", **{"X-Forwarded-For": "198.51.100.7"})
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"


def test_by_default_forwarded_proto_and_host_are_ignored(make_app, app):
    web_app = make_app(FORCE_HTTPS=True)
    with web_app.app_context():
        web = web_app.test_client()
        response = web.get("/api/openapi.json", headers={"X-Forwarded-Proto": "https",
                                                          "X-Forwarded-Host": "evil.example"})
        assert response.status_code == 308  # still plain HTTP: redirected...
        assert response.headers["Location"].startswith("https://localhost/")  # ...to our own host


def test_one_trusted_hop_uses_the_last_address_of_the_header(proxied_web):
    for attempt in range(RESET_PER_IP):
        # A client may prepend anything; the proxy appends the address it saw, which counts.
        response = _reset(proxied_web, f"user{attempt}@example.com",
                          **{"X-Forwarded-For": f"203.0.113.{attempt}, 192.0.2.10"})
        assert response.status_code == 202, attempt
    assert _reset(proxied_web, "late@example.com",
                  **{"X-Forwarded-For": "198.51.100.7, 192.0.2.10"}).status_code == 429
    # another client behind the same proxy has its own counter
    assert _reset(proxied_web, "late@example.com",
                  **{"X-Forwarded-For": "192.0.2.11"}).status_code == 202


def test_one_trusted_hop_believes_the_proxys_scheme(make_app, app):
    web_app = make_app(PROXY_HOPS=1, FORCE_HTTPS=True)
    with web_app.app_context():
        web = web_app.test_client()
        response = web.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert web.get("/api/openapi.json", headers={"X-Forwarded-Proto": "https"}).status_code == 200
