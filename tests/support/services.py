"""The real Postgres database and Redis keyspace a test run owns.

Each run creates its own database (``waveframe_test_<pid>``) and claims a Redis database
number no other run holds, so several runs on one machine never meet; both are removed at
the end. ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` pin them instead (e.g. in CI debugging).
"""

from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import redis
from psycopg2 import sql

ADMIN_DSN = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_BASE_URL", "redis://127.0.0.1:6379")
CLAIM_KEY = "waveframe-test-claim:{}"
CLAIM_TTL = 4 * 3600


@dataclass
class TestServices:
    database_url: str
    redis_url: str
    owns_database: bool
    redis_db: int | None

    def close(self) -> None:
        if self.redis_db is not None:
            redis.Redis.from_url(f"{REDIS_BASE}/{self.redis_db}").flushdb()
            redis.Redis.from_url(f"{REDIS_BASE}/0").delete(CLAIM_KEY.format(self.redis_db))
        if self.owns_database:
            drop_database(self.database_url)


def _admin_connection():
    conn = psycopg2.connect(ADMIN_DSN)
    conn.autocommit = True
    return conn


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def create_database(suffix: str = "") -> str:
    """Create an empty database named after this process (plus ``suffix``); return its URL."""
    name = f"waveframe_test_{os.getpid()}{suffix}"
    with closing(_admin_connection()) as conn, conn.cursor() as cur:
        # Remove databases left by runs that died before cleaning up.
        cur.execute("SELECT datname FROM pg_database WHERE datname LIKE 'waveframe\\_test\\_%%'")
        for (stale,) in cur.fetchall():
            pid = stale.removeprefix("waveframe_test_").split("_", 1)[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(stale)))
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(ADMIN_DSN)
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with closing(_admin_connection()) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def claim_redis_db() -> int:
    control = redis.Redis.from_url(f"{REDIS_BASE}/0")
    for number in range(15, 0, -1):
        key = CLAIM_KEY.format(number)
        holder = control.get(key)
        if holder is not None and not _pid_alive(int(holder)):
            control.delete(key)
        if control.set(key, os.getpid(), nx=True, ex=CLAIM_TTL):
            redis.Redis.from_url(f"{REDIS_BASE}/{number}").flushdb()
            return number
    raise RuntimeError("no free Redis database (1-15) for this test run")


def acquire() -> TestServices:
    if os.environ.get("TEST_DATABASE_URL"):
        database_url, owns = os.environ["TEST_DATABASE_URL"], False
    else:
        database_url, owns = create_database(), True
    if os.environ.get("TEST_REDIS_URL"):
        redis_url, redis_db = os.environ["TEST_REDIS_URL"], None
    else:
        redis_db = claim_redis_db()
        redis_url = f"{REDIS_BASE}/{redis_db}"
    return TestServices(database_url, redis_url, owns, redis_db)
