"""The admin console's own session: a signed cookie that names a server-side session id.

The cookie (``waveframe_admin``, ``Path=/admin``, HttpOnly, SameSite=Lax, Secure in production)
holds the user id, a random session id and the login time. The session id lives in Redis for
``ADMIN_SESSION_SECONDS``; logging out deletes it, so a copy of the cookie is dead too. Every
request re-reads the account: a disabled account, a removed role or "log out everywhere"
(``tokens_valid_after`` after the login) ends the session at once.

The console reads only this cookie (never an ``Authorization`` header), and the JSON API reads
only bearer tokens (never this cookie, which the browser does not even send outside ``/admin``).
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime

from flask import current_app, g, session
from redis.exceptions import RedisError

from app.errors import ServiceUnavailable
from app.extensions import db, get_redis, redis_client
from app.models import User

SESSION_KEY = "admin"
_UNSET = object()


def configure(app) -> None:
    """Cookie settings of the session (Flask's session is used by the console only)."""
    app.config.setdefault("ADMIN_SESSION_SECONDS", 8 * 3600)
    app.config["SESSION_COOKIE_NAME"] = "waveframe_admin"
    app.config["SESSION_COOKIE_PATH"] = "/admin"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config.setdefault("SESSION_COOKIE_SECURE", app.config.get("APP_ENV") == "production")
    app.config["PERMANENT_SESSION_LIFETIME"] = app.config["ADMIN_SESSION_SECONDS"]


def _key(session_id: str) -> str:
    return redis_client.key("admin-session", session_id)


def open_session_record(user: User) -> dict:
    """Store a new server-side session for ``user``; return what the cookie carries."""
    session_id = secrets.token_urlsafe(24)
    try:
        get_redis().set(_key(session_id), str(user.id), ex=current_app.config["ADMIN_SESSION_SECONDS"])
    except RedisError as exc:
        raise ServiceUnavailable("The console cannot log you in right now; try again.") from exc
    return {"uid": str(user.id), "sid": session_id, "at_us": time.time_ns() // 1000}


def start(user: User) -> None:
    """Log ``user`` in to the console (a fresh cookie: no session fixation)."""
    session.clear()
    session[SESSION_KEY] = open_session_record(user)
    session.permanent = True
    g.admin_user = user


def end() -> None:
    data = session.get(SESSION_KEY) or {}
    session.clear()
    g.admin_user = None
    if data.get("sid"):
        try:
            get_redis().delete(_key(data["sid"]))
        except RedisError:  # the cookie is gone; the entry expires on its own
            current_app.logger.warning("admin_session_not_deleted")


def _microseconds(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1_000_000)


def session_user() -> User | None:
    """The logged-in account of this request (any role, even none), or None."""
    cached = g.get("admin_user", _UNSET)
    if cached is not _UNSET:
        return cached
    g.admin_user = user = _load()
    return user


def _load() -> User | None:
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or not data.get("sid") or not data.get("uid"):
        return None
    try:
        stored = get_redis().get(_key(data["sid"]))
    except RedisError as exc:  # fail closed, as the token check does
        raise ServiceUnavailable("The console is temporarily unavailable; try again.") from exc
    if stored is None or stored.decode() != data["uid"]:
        return None
    try:
        user = db.session.get(User, uuid.UUID(data["uid"]))
    except ValueError:
        return None
    if user is None or not user.is_active:
        return None
    if (user.tokens_valid_after is not None
            and int(data.get("at_us", 0)) < _microseconds(user.tokens_valid_after)):
        return None
    return user
