"""Extensions, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

import os
import threading

import redis
from flask import Flask, current_app
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

from app.verified_tokens import CachingJWTManager

# Deterministic constraint names so migrations are the same on SQLite and Postgres.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
jwt = CachingJWTManager()  # remembers tokens that verified (app/verified_tokens.py)
cors = CORS()
limiter = Limiter(key_func=get_remote_address, strategy="fixed-window")


class RedisClient:
    """One Redis connection pool per app, created on first use (no I/O at import)."""

    def init_app(self, app: Flask) -> None:
        app.extensions["redis"] = redis.Redis.from_url(app.config["REDIS_URL"])

    @property
    def conn(self) -> redis.Redis:
        return current_app.extensions["redis"]

    def key(self, *parts: str) -> str:
        """A key under the app's prefix, e.g. ``key("blocklist", jti)``."""
        return current_app.config["REDIS_KEY_PREFIX"] + ":".join(parts)


redis_client = RedisClient()


def get_redis() -> redis.Redis:
    return redis_client.conn


class _PinnedConnection(threading.local):
    connection: redis.Connection | None = None
    pool: redis.ConnectionPool | None = None
    pid: int | None = None


_pinned = _PinnedConnection()


def read_keys(keys: list[str]) -> list[bytes | None]:
    """``MGET keys`` on a connection this thread keeps to itself: the reads every authenticated
    request makes (the token's blocklist entries, and a poll's kept answer with them).

    The same command through the client costs twice the round trip itself in CPU (redis-py's
    pool lock, its per-command connection checks and metrics: 0.07 ms against 0.04 ms on this
    machine, ``bench/profile_poll.py``). The connection is made with the pool's own settings,
    once per thread and process; when the command fails on it, it is reconnected and the command
    tried once more (Redis restarted since the last request), then the error is raised.
    """
    pool, pinned = get_redis().connection_pool, _pinned
    if pinned.connection is None or pinned.pool is not pool or pinned.pid != os.getpid():
        pinned.connection = pool.connection_class(**pool.connection_kwargs)
        pinned.pool, pinned.pid = pool, os.getpid()
    connection = pinned.connection
    try:
        connection.send_command("MGET", *keys)
        return connection.read_response()
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        connection.disconnect()  # sending again connects again
        connection.send_command("MGET", *keys)
        return connection.read_response()
