"""One configuration, read from the environment.

No variable set gives the embedded default of DESIGN.md: SQLite in ``instance/``, local-disk
storage, emails written to ``instance/outbox/``, payments off, Redis on localhost.
``APP_ENV=production`` refuses to start when a required secret is missing or left at a default.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

DEV_SECRET = "dev-secret-change-me"  # noqa: S105 - development default, refused in production
DEV_JWT_SECRET = "dev-jwt-secret-change-me-0123456789abcdef"  # noqa: S105 - idem

# Price per render in the smallest currency unit, by output height and audio length band.
# Bands are upper bounds in seconds of (trimmed) audio; the first band that fits applies.
DEFAULT_PRICE_TABLE = {
    "currency": "usd",
    "bands": [
        {"max_seconds": 60, "720": 199, "1080": 299},
        {"max_seconds": 600, "720": 499, "1080": 699},
        {"max_seconds": 3600, "720": 999, "1080": 1499},
    ],
}


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message names the variable."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _int_list(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigError(f"{name} must be comma-separated integers, got {raw!r}") from exc
    if not values or min(values) < 0:
        raise ConfigError(f"{name} must be comma-separated integers >= 0, got {raw!r}")
    return values


def _database_url(env: Mapping[str, str]) -> str:
    url = env.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'waveframe.db'}"
    # Railway/Heroku hand out postgres://; SQLAlchemy wants postgresql://
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


class Config:
    """Settings read from ``environ`` (default ``os.environ``) when instantiated."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        env = dict(os.environ if environ is None else environ)
        self.APP_ENV = env.get("APP_ENV", "development")
        self.SECRET_KEY = env.get("SECRET_KEY", DEV_SECRET)
        self.JWT_SECRET_KEY = env.get("JWT_SECRET_KEY", DEV_JWT_SECRET)

        # Database
        self.SQLALCHEMY_DATABASE_URI = _database_url(env)
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False

        # Redis: queue, rate limits, token blocklist
        self.REDIS_URL = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        self.REDIS_KEY_PREFIX = env.get("REDIS_KEY_PREFIX", "waveframe:")
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", self.REDIS_URL)
        self.RATELIMIT_KEY_PREFIX = self.REDIS_KEY_PREFIX + "ratelimit"
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_ENABLED = _bool(env.get("RATELIMIT_ENABLED"), True)

        # JWT
        self.JWT_ACCESS_TOKEN_EXPIRES = _int(env, "JWT_ACCESS_TOKEN_SECONDS", 15 * 60)
        self.JWT_REFRESH_TOKEN_EXPIRES = _int(env, "JWT_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600)
        # The web app's refresh token travels in an HttpOnly cookie (app/accounts/refresh_cookie.py);
        # a custom request header plus SameSite=Strict stand in for flask-jwt-extended's CSRF pair.
        self.JWT_REFRESH_COOKIE_NAME = "waveframe_refresh"
        self.JWT_REFRESH_COOKIE_PATH = "/api/v1/auth"
        self.JWT_COOKIE_CSRF_PROTECT = False

        # Storage
        self.STORAGE_BACKEND = env.get("STORAGE_BACKEND", "local")
        self.STORAGE_LOCAL_ROOT = env.get("STORAGE_LOCAL_ROOT", str(INSTANCE_DIR / "storage"))
        self.GCS_BUCKET = env.get("GCS_BUCKET", "")
        self.GCS_PROJECT = env.get("GCS_PROJECT", "waveframe")
        self.GOOGLE_APPLICATION_CREDENTIALS = env.get("GOOGLE_APPLICATION_CREDENTIALS", "")
        self.GCS_SIGNING_SERVICE_ACCOUNT = env.get("GCS_SIGNING_SERVICE_ACCOUNT", "")
        self.STORAGE_EMULATOR_HOST = env.get("STORAGE_EMULATOR_HOST", "")

        # Payments
        self.STRIPE_SECRET_KEY = env.get("STRIPE_SECRET_KEY", "")
        self.STRIPE_WEBHOOK_SECRET = env.get("STRIPE_WEBHOOK_SECRET", "")
        self.STRIPE_API_BASE = env.get("STRIPE_API_BASE", "")
        self.STRIPE_TIMEOUT_SECONDS = _float(env, "STRIPE_TIMEOUT_SECONDS", 20.0)
        self.STRIPE_MAX_NETWORK_RETRIES = _int(env, "STRIPE_MAX_NETWORK_RETRIES", 2)
        self.PRICE_TABLE = (json.loads(env["PRICE_TABLE"]) if env.get("PRICE_TABLE")
                            else DEFAULT_PRICE_TABLE)

        # Email
        self.SENDGRID_API_KEY = env.get("SENDGRID_API_KEY", "")
        self.SENDGRID_API_HOST = env.get("SENDGRID_API_HOST", "")
        self.MAIL_FROM = env.get("MAIL_FROM", "Waveframe <no-reply@waveframe.local>")
        self.OUTBOX_DIR = env.get("OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
        self.SENDGRID_TIMEOUT_SECONDS = _float(env, "SENDGRID_TIMEOUT_SECONDS", 10.0)

        # Password hashing (argon2id); existing hashes keep verifying after a change
        self.PASSWORD_HASH_TIME_COST = _int(env, "PASSWORD_HASH_TIME_COST", 2)
        self.PASSWORD_HASH_MEMORY_KIB = _int(env, "PASSWORD_HASH_MEMORY_KIB", 19 * 1024)
        self.PASSWORD_HASH_PARALLELISM = _int(env, "PASSWORD_HASH_PARALLELISM", 1)

        # Web
        self.CORS_ORIGINS = [o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()]
        # The port `make run` serves on; links in emails follow it unless FRONTEND_URL is set.
        self.WAVEFRAME_PORT = _int(env, "WAVEFRAME_PORT", 5000)
        self.FRONTEND_URL = (env.get("FRONTEND_URL")
                             or f"http://127.0.0.1:{self.WAVEFRAME_PORT}").rstrip("/")
        self.FORCE_HTTPS = _bool(env.get("FORCE_HTTPS"), self.APP_ENV == "production")
        # Proxies in front whose X-Forwarded-For/-Proto/-Host are believed. None by default: with
        # nothing in front (the embedded default, `make run`) a client could otherwise choose its
        # own IP address (and reset per-IP limits). Production (Railway's one proxy) defaults to 1.
        self.PROXY_HOPS = _int(env, "PROXY_HOPS", 1 if self.APP_ENV == "production" else 0)
        # The admin console's session cookie (app/admin/session.py): Secure in production.
        self.SESSION_COOKIE_SECURE = _bool(env.get("SESSION_COOKIE_SECURE"), self.APP_ENV == "production")
        self.ADMIN_SESSION_SECONDS = _int(env, "ADMIN_SESSION_SECONDS", 8 * 3600)
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO")
        self.LOG_FORMAT = env.get("LOG_FORMAT", "json")
        # GET /metrics wants "Authorization: Bearer <METRICS_TOKEN>" when set; in production
        # without it /metrics answers 404 (app/web/metrics/endpoint.py).
        self.METRICS_TOKEN = env.get("METRICS_TOKEN", "")
        # Per-request HTTP metrics are summed in the process and added to Redis at most this
        # often (one round trip per flush, not per request); 0 adds each request at once.
        self.METRICS_FLUSH_SECONDS = _float(env, "METRICS_FLUSH_SECONDS", 0.5)
        # How long a process trusts its copy of an account's is_active / tokens_valid_after
        # (app/accounts/token_state.py): the longest a disable made elsewhere takes to apply.
        self.ACCOUNT_STATE_CACHE_SECONDS = _float(env, "ACCOUNT_STATE_CACHE_SECONDS", 1.0)
        # How long a poll's answer may stay in Redis (app/renders/status_cache.py; every change
        # drops it sooner); 0 reads the database on every poll.
        self.STATUS_CACHE_SECONDS = _int(env, "STATUS_CACHE_SECONDS", 10)
        # Web processes remember which tokens are not revoked and the kept poll answers until a
        # message on Redis says they changed (app/web/mirror.py); 0: every request asks Redis.
        self.LOCAL_MIRROR = _bool(env.get("LOCAL_MIRROR"), True)

        # Rendering and limits
        self.CHROMIUM_PATH = env.get("CHROMIUM_PATH", "/usr/bin/chromium")
        self.MAX_UPLOAD_MB = _int(env, "MAX_UPLOAD_MB", 200)
        # Requests larger than this are refused from Content-Length before the body is read.
        self.MAX_CONTENT_LENGTH = (self.MAX_UPLOAD_MB + 10) * 1024 * 1024
        self.MAX_JSON_BODY_BYTES = _int(env, "MAX_JSON_BODY_BYTES", 1024 * 1024)
        self.MAX_AUDIO_SECONDS = _int(env, "MAX_AUDIO_SECONDS", 3600)
        self.DOWNLOAD_LINK_TTL = _int(env, "DOWNLOAD_LINK_TTL", 24 * 3600)
        self.VIDEO_RETENTION_DAYS = _int(env, "VIDEO_RETENTION_DAYS", 7)
        self.UNPAID_UPLOAD_RETENTION_HOURS = _int(env, "UNPAID_UPLOAD_RETENTION_HOURS", 24)
        self.RENDER_TMP_DIR = env.get("RENDER_TMP_DIR", "")
        # A rendering job with no heartbeat for this long is taken to have lost its worker.
        self.RENDER_STALE_SECONDS = _int(env, "RENDER_STALE_SECONDS", 120)
        self.RENDER_RECONCILE_GRACE_SECONDS = _int(env, "RENDER_RECONCILE_GRACE_SECONDS", 30)
        # A render longer than this many seconds is split into chunks that any worker renders
        # (app/renders/chunking.py); 0 turns splitting off.
        self.RENDER_CHUNK_SECONDS = _int(env, "RENDER_CHUNK_SECONDS", 60)
        # How many workers a chunked render is split for (its chunk count is made a multiple of
        # it, so no round of chunks leaves workers idle); 0: the RQ workers listening on the
        # render's queue when it is planned.
        self.RENDER_CHUNK_WORKERS = _int(env, "RENDER_CHUNK_WORKERS", 0)
        # A worker keeps one headless Chromium between jobs that its work horses attach to
        # (app/rendering/warm.py), recycled after this many jobs or any failed job; saves ~1 s of
        # Chromium start-up per render. Off by default: then every render launches its own.
        self.RENDER_WARM_BROWSER = _bool(env.get("RENDER_WARM_BROWSER"), False)
        self.RENDER_WARM_BROWSER_JOBS = _int(env, "RENDER_WARM_BROWSER_JOBS", 50)
        self.RENDER_RECONCILE_EVERY_SECONDS = _int(env, "RENDER_RECONCILE_EVERY_SECONDS", 60)
        # Seconds before RQ retries a failed render attempt (first retry, second retry).
        self.RENDER_RETRY_INTERVALS = _int_list(env, "RENDER_RETRY_INTERVALS", (30, 120))
        # How often the worker's ticker thread checks for due periodic tasks and a dead scheduler.
        self.WORKER_TICK_SECONDS = _float(env, "WORKER_TICK_SECONDS", 1.0)
        # A scheduler child alive but without a heartbeat this long (hung) is killed and replaced
        # by the ticker (RQ's scheduler heartbeats every second); 0: only a dead one is replaced.
        self.WORKER_SCHEDULER_STALL_SECONDS = _float(env, "WORKER_SCHEDULER_STALL_SECONDS", 30.0)

        # API docs (flask-smorest)
        self.API_TITLE = "Waveframe API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "/docs"
        self.OPENAPI_SWAGGER_UI_URL = "/static/swagger-ui/"
        self.API_SPEC_OPTIONS = {
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        }
        self.JSON_SORT_KEYS = False

    # -- derived -----------------------------------------------------------
    @property
    def payments_enabled(self) -> bool:
        return bool(self.STRIPE_SECRET_KEY)

    def validate(self) -> None:
        """Refuse unusable settings; in production, refuse missing or default secrets."""
        if self.APP_ENV not in {"development", "test", "production"}:
            raise ConfigError(f"APP_ENV must be development, test or production, not {self.APP_ENV!r}")
        if self.STORAGE_BACKEND not in {"local", "gcs"}:
            raise ConfigError(f"STORAGE_BACKEND must be local or gcs, not {self.STORAGE_BACKEND!r}")
        if self.STORAGE_BACKEND == "gcs" and not self.GCS_BUCKET:
            raise ConfigError("GCS_BUCKET is required when STORAGE_BACKEND=gcs")
        if not 0 <= self.ACCOUNT_STATE_CACHE_SECONDS <= 2:
            raise ConfigError("ACCOUNT_STATE_CACHE_SECONDS must be between 0 and 2: it is how long a "
                              "disabled account or a changed password may still pass elsewhere")
        if not 0 <= self.STATUS_CACHE_SECONDS <= 60:
            raise ConfigError("STATUS_CACHE_SECONDS must be between 0 and 60")
        if not 0 <= self.METRICS_FLUSH_SECONDS <= 10:
            raise ConfigError("METRICS_FLUSH_SECONDS must be between 0 and 10")
        if self.APP_ENV != "production":
            return
        required = {
            "SECRET_KEY": (self.SECRET_KEY, {DEV_SECRET}),
            "JWT_SECRET_KEY": (self.JWT_SECRET_KEY, {DEV_JWT_SECRET}),
            "DATABASE_URL": (os.environ.get("DATABASE_URL", "") if "sqlite" in self.SQLALCHEMY_DATABASE_URI
                             else self.SQLALCHEMY_DATABASE_URI, set()),
            "STRIPE_SECRET_KEY": (self.STRIPE_SECRET_KEY, set()),
            "STRIPE_WEBHOOK_SECRET": (self.STRIPE_WEBHOOK_SECRET, set()),
            "SENDGRID_API_KEY": (self.SENDGRID_API_KEY, set()),
            "GCS_BUCKET": (self.GCS_BUCKET, set()),
        }
        for name, (value, defaults) in required.items():
            if not value or value in defaults:
                raise ConfigError(
                    f"{name} must be set to a real value when APP_ENV=production "
                    "(see .env.example)")
        for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
            if len(getattr(self, name)) < 32:
                raise ConfigError(f"{name} must be at least 32 characters when APP_ENV=production")
        if self.METRICS_TOKEN and len(self.METRICS_TOKEN) < 32:
            raise ConfigError("METRICS_TOKEN must be at least 32 characters when APP_ENV=production "
                              "(or unset, which turns /metrics off)")
        if self.STORAGE_BACKEND != "gcs":
            raise ConfigError("STORAGE_BACKEND must be gcs when APP_ENV=production "
                              "(local disk does not survive a Railway deploy)")

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}


class TestConfig(Config):
    """Config for the test suite: real Postgres and Redis, a database and keyspace of its own."""

    def __init__(self, environ: Mapping[str, str] | None = None, **overrides):
        env = dict(os.environ if environ is None else environ)
        env.setdefault("APP_ENV", "test")
        super().__init__(env)
        self.TESTING = True
        self.APP_ENV = "test"
        self.SQLALCHEMY_DATABASE_URI = env.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/waveframe_test")
        self.REDIS_URL = env.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL
        self.REDIS_KEY_PREFIX = "waveframe-test:"
        self.RATELIMIT_KEY_PREFIX = self.REDIS_KEY_PREFIX + "ratelimit"
        self.STRIPE_SECRET_KEY = ""
        self.STRIPE_WEBHOOK_SECRET = ""
        self.SENDGRID_API_KEY = ""
        self.METRICS_TOKEN = ""
        self.METRICS_FLUSH_SECONDS = 0.0  # each request at once; the buffered mode has its tests
        # No listener thread per test app (TEST_LOCAL_MIRROR=1 turns it on for a whole run); the
        # mirror has its own tests (tests/integration/renders/test_poll_mirror.py).
        self.LOCAL_MIRROR = _bool(env.get("TEST_LOCAL_MIRROR"), False)
        self.STORAGE_BACKEND = "local"
        self.LOG_FORMAT = "json"
        for key, value in overrides.items():
            setattr(self, key, value)
