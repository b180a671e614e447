"""GET /metrics: Prometheus text summed over every process through Redis, guarded by a token,
and still answering -- without breaking the requests it counts -- when Redis is away."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from app.web.metrics.store import TIMEOUT_SECONDS
from tests.conftest import reset_state
from tests.support.metrics import scrape
from tests.support.private_redis import PrivateRedis

TOKEN = "metrics-token-" + "m" * 32
HEALTHZ = {"method": "GET", "route": "/healthz", "status": "200"}


def test_metrics_parse_as_prometheus_text_with_every_family(client, render_job_factory):
    render_job_factory()
    client.get("/healthz")
    result = scrape(client)
    kinds = {name: family.type for name, family in result.families.items()}
    assert kinds["waveframe_http_requests"] == "counter"
    assert kinds["waveframe_http_request_duration_seconds"] == "histogram"
    for name in ("waveframe_render_duration_seconds", "waveframe_render_realtime_factor",
                 "waveframe_queue_wait_seconds"):
        assert kinds[name] == "histogram"
    for name in ("waveframe_render_outcomes", "waveframe_emails", "waveframe_stripe_webhooks"):
        assert kinds[name] == "counter"
    assert kinds["waveframe_render_jobs"] == kinds["waveframe_queue_depth"] == "gauge"
    assert result.value("waveframe_metrics_store_up") == 1
    assert result.value("waveframe_render_jobs", status="queued") == 1
    assert result.value("waveframe_queue_depth", queue="high") == 0
    assert result.value("waveframe_http_requests_total", **HEALTHZ) == 1
    assert result.value("waveframe_http_request_duration_seconds_count", **HEALTHZ) == 1
    assert result.value("waveframe_http_request_duration_seconds_bucket", le="+Inf", **HEALTHZ) == 1


def test_requests_are_labelled_by_url_rule_never_by_raw_path(client):
    job_id = uuid.uuid4()
    assert client.get(f"/api/v1/renders/{job_id}").status_code == 401
    assert client.get(f"/no/such/page/{job_id}").status_code == 404
    assert client.open("/healthz", method="BREW").status_code == 405
    result = scrape(client)
    assert result.value("waveframe_http_requests_total", method="GET",
                        route="/api/v1/renders/<uuid:job_id>", status="401") == 1
    assert result.value("waveframe_http_requests_total", method="GET", route="unmatched",
                        status="404") == 1
    assert result.value("waveframe_http_requests_total", method="other", route="unmatched",
                        status="405") == 1
    assert str(job_id) not in result.text


def test_two_app_instances_each_show_the_sum_of_both(app, make_app):
    """Two apps in one process stand for two gunicorn workers: nothing is shared between them
    but Redis, and either one's /metrics counts the requests of both."""
    first, second = make_app().test_client(), make_app().test_client()
    for _ in range(3):
        assert first.get("/healthz").status_code == 200
    for _ in range(4):
        assert second.get("/healthz").status_code == 200
    for client in (first, second):
        result = scrape(client)
        assert result.value("waveframe_http_requests_total", **HEALTHZ) == 7
        assert result.value("waveframe_http_request_duration_seconds_count", **HEALTHZ) == 7
        buckets = [s for s in result.families["waveframe_http_request_duration_seconds"].samples
                   if s.name.endswith("_bucket") and s.labels["route"] == "/healthz"]
        counts = [s.value for s in buckets]
        assert counts == sorted(counts) and counts[-1] == 7  # cumulative, +Inf last


def test_metrics_live_under_the_app_key_prefix_and_the_test_reset_clears_them(app, client,
                                                                               redis_conn):
    client.get("/healthz")
    prefix = app.config["REDIS_KEY_PREFIX"] + "metrics:"
    keys = sorted(k.decode() for k in redis_conn.keys("*metrics:*"))
    assert keys and all(k.startswith(prefix) for k in keys)
    reset_state(app)
    assert redis_conn.keys("*metrics:*") == []
    assert scrape(client).value("waveframe_http_requests_total", **HEALTHZ) == 0


# -- who may read them --------------------------------------------------------------------------

@pytest.fixture
def guarded(app, make_app):
    with make_app(METRICS_TOKEN=TOKEN).app_context() as ctx:
        yield ctx.app.test_client()


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN,
                                    f"Bearer {TOKEN}x"])
def test_with_a_token_configured_a_scrape_without_it_gets_401(guarded, header):
    response = guarded.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "metrics_token_required"
    assert set(response.json["error"]) == {"code", "message", "details"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "waveframe_" not in response.get_data(as_text=True)


def test_with_a_token_configured_the_right_bearer_token_reads_the_metrics(guarded):
    guarded.get("/healthz")
    result = scrape(guarded, headers={"Authorization": f"Bearer {TOKEN}"})
    assert result.value("waveframe_http_requests_total", **HEALTHZ) == 1


def test_in_production_metrics_are_off_without_a_token_and_need_it_with_one(app, client,
                                                                             monkeypatch):
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    response = client.get("/metrics")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    assert client.get("/metrics").status_code == 401
    assert scrape(client, headers={"Authorization": f"Bearer {TOKEN}"}).value(
        "waveframe_metrics_store_up") == 1


# -- Redis away ---------------------------------------------------------------------------------

def test_redis_refusing_connections_breaks_neither_requests_nor_the_scrape(app, make_app,
                                                                           render_job_factory):
    render_job_factory()
    client = make_app(REDIS_URL="redis://127.0.0.1:9/0").test_client()  # nothing listens there
    assert client.get("/healthz").status_code == 200
    result = scrape(client)
    assert result.value("waveframe_metrics_store_up") == 0
    assert result.value("waveframe_render_jobs", status="queued") == 1  # Postgres still read
    assert "waveframe_queue_depth" not in result.families


@pytest.fixture
def silent_redis():
    """A port that accepts connections and never answers (a hung Redis)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


def test_a_hung_redis_costs_a_request_one_short_timeout_then_nothing(app, make_app, silent_redis):
    application = make_app(REDIS_URL=silent_redis)
    client = application.test_client()
    started = time.monotonic()
    assert client.get("/healthz").status_code == 200
    assert time.monotonic() - started < 2.0
    started = time.monotonic()
    for _ in range(5):  # recording pauses after the failure: no more waiting
        assert client.get("/healthz").status_code == 200
    assert time.monotonic() - started < 5 * TIMEOUT_SECONDS * 0.8  # less than a timeout each
    assert application.extensions["metrics_store"].dropped >= 5
    started = time.monotonic()
    assert scrape(client).value("waveframe_metrics_store_up") == 0
    assert time.monotonic() - started < 2.0


def test_recording_resumes_when_redis_comes_back(app, make_app, tmp_path):
    server = PrivateRedis(tmp_path / "redis").start()
    try:
        application = make_app(REDIS_URL=server.url)
        application.extensions["metrics_store"].pause = 0  # retry at once after a failure
        client = application.test_client()
        assert client.get("/healthz").status_code == 200
        server.stop()
        assert client.get("/healthz").status_code == 200  # lost, but served
        assert scrape(client).value("waveframe_metrics_store_up") == 0
        server.start()
        assert client.get("/healthz").status_code == 200
        assert scrape(client).value("waveframe_http_requests_total", **HEALTHZ) == 1
    finally:
        server.stop()


# -- per-request metrics summed in the process (METRICS_FLUSH_SECONDS, on by default) -----------

def _await(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
    return value


def test_buffered_requests_of_two_workers_reach_either_scrape_within_the_flush_period(app,
                                                                                     make_app):
    period = 0.2
    first = make_app(METRICS_FLUSH_SECONDS=period).test_client()
    second = make_app(METRICS_FLUSH_SECONDS=period).test_client()
    for _ in range(3):
        assert first.get("/healthz").status_code == 200
    for _ in range(4):
        assert second.get("/healthz").status_code == 200
    # The scraping process flushes its own first: its 3 requests are there at once.
    assert scrape(first).value("waveframe_http_requests_total", **HEALTHZ) >= 3
    started = time.monotonic()
    for client in (first, second):
        _await(lambda c=client: scrape(c).value("waveframe_http_requests_total", **HEALTHZ) == 7,
               timeout=period * 5 + 1)
    assert time.monotonic() - started < period * 5 + 1
    result = scrape(second)
    assert result.value("waveframe_http_request_duration_seconds_count", **HEALTHZ) == 7
    assert result.value("waveframe_http_request_duration_seconds_bucket", le="+Inf", **HEALTHZ) == 7


def test_buffered_recording_never_makes_a_request_wait_on_a_hung_redis(app, make_app,
                                                                       silent_redis):
    application = make_app(REDIS_URL=silent_redis, METRICS_FLUSH_SECONDS=0.05)
    client = application.test_client()
    started = time.monotonic()
    for _ in range(20):
        assert client.get("/healthz").status_code == 200
    assert time.monotonic() - started < TIMEOUT_SECONDS * 2  # 20 requests, not one timeout each
    store = application.extensions["metrics_store"]
    _await(lambda: store.dropped >= 20, timeout=TIMEOUT_SECONDS * 4 + 2)  # counted as lost
