"""JWT pairs, their revocation and the revocation check every authenticated request makes.

A login issues a refresh token (30 days) and an access token (15 min). Both carry a token id
(``jti``); the access token also carries the id and expiry of the refresh token of the same
login (``rjti``, ``rexp``), so logging out with an access token revokes both, and revoking a
refresh token also revokes every access token derived from it. Revoked ids sit in a Redis
blocklist with a TTL equal to the token's remaining life.

``claims_problem`` says what is wrong with a token's claims (checked before the token is even
decoded, so a token signed with our secret but missing ``jti``, ``sub``, ``type`` or ``exp``, or
carrying one of the wrong type, is refused with 401 rather than failing further on).

Every token also carries ``iat_us`` (issue time in microseconds; ``iat`` has whole seconds): a
token issued before the user's ``tokens_valid_after`` (set on a password change or reset, or when
the account is disabled) is refused.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, has_request_context
from flask_jwt_extended import create_access_token, create_refresh_token
from redis.exceptions import RedisError

from app.errors import ServiceUnavailable
from app.extensions import get_redis, read_keys, redis_client
from app.models import User
from app.web.auth import prefetch_keys, store_prefetched
from app.web.mirror import mirror

log = logging.getLogger(__name__)

# How long a process may remember that a token was not revoked (a revocation message drops it
# sooner; the token's own expiry is checked on every request anyway).
TOKEN_MEMORY_SECONDS = 60


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str


def lifetime_seconds(name: str) -> int:
    """A token lifetime setting (``JWT_ACCESS_TOKEN_EXPIRES``...) in seconds."""
    value = current_app.config[name]
    return int(value.total_seconds() if hasattr(value, "total_seconds") else value)


def issued_at_claims() -> dict:
    """Claims added to every token (registered as the JWT additional-claims loader)."""
    return {"iat_us": time.time_ns() // 1000}


REQUIRED_CLAIMS = ("sub", "jti", "type", "exp", "iat_us")
TOKEN_TYPES = ("access", "refresh")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_uuid(value) -> bool:
    if not isinstance(value, str) or len(value) > 64:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def claims_problem(claims: dict) -> str | None:
    """Why ``claims`` cannot be one of our tokens' (None: the shape is right)."""
    if not isinstance(claims, dict):
        return "the claims are not an object"
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        return f"missing claim {missing[0]}"
    if not _is_uuid(claims["sub"]):
        return "sub is not a user id"
    if not _is_uuid(claims["jti"]):
        return "jti is not a token id"
    if claims["type"] not in TOKEN_TYPES:
        return "type is not access or refresh"
    if not _is_int(claims["exp"]):
        return "exp is not a timestamp"
    for name in ("iat", "nbf", "iat_us", "rexp"):
        if name in claims and not _is_number(claims[name]):
            return f"{name} is not a timestamp"
    if "rjti" in claims and not _is_uuid(claims["rjti"]):
        return "rjti is not a token id"
    if "fresh" in claims and not isinstance(claims["fresh"], bool) and not _is_number(claims["fresh"]):
        return "fresh is not a boolean or a timestamp"
    return None


def _microseconds(moment: datetime) -> int:
    return int(moment.replace(microsecond=0).timestamp()) * 1_000_000 + moment.microsecond


def issue_token_pair(user: User) -> TokenPair:
    """A fresh login: a refresh token and a *fresh* access token tied to it."""
    refresh_jti = str(uuid.uuid4())
    refresh_exp = int(time.time()) + lifetime_seconds("JWT_REFRESH_TOKEN_EXPIRES")
    refresh = create_refresh_token(identity=user, additional_claims={"jti": refresh_jti})
    access = create_access_token(identity=user, fresh=True,
                                 additional_claims={"rjti": refresh_jti, "rexp": refresh_exp})
    return TokenPair(access_token=access, refresh_token=refresh)


def access_token_from_refresh(user: User, refresh_claims: dict) -> str:
    """A new (not fresh) access token for the login the refresh token belongs to."""
    return create_access_token(identity=user, fresh=False, additional_claims={
        "rjti": refresh_claims["jti"], "rexp": refresh_claims["exp"]})


def _blocklist_key(jti: str) -> str:
    return redis_client.key("blocklist", jti)


def _memory_key(jti: str) -> str:
    return "token:" + jti


def revoke_claims(claims: dict) -> list[str]:
    """Revoke the presented token and, for an access token, the refresh token of its login."""
    now = int(time.time())
    entries = [(claims["jti"], int(claims.get("exp", now)) - now)]
    if claims.get("rjti"):
        entries.append((claims["rjti"], int(claims.get("rexp", now)) - now))
    revoked = [jti for jti, ttl in entries if ttl > 0]
    memory, remembered = mirror(), [_memory_key(jti) for jti in revoked]
    try:
        with get_redis().pipeline() as pipe:
            for jti, ttl in entries:
                if ttl > 0:
                    pipe.set(_blocklist_key(jti), "1", ex=ttl)
            # every web process forgets they were valid: the message goes in the same MULTI as
            # the blocklist entries, so there is never one without the other
            memory.announce(pipe, remembered)
            pipe.execute()
    except RedisError as exc:
        raise ServiceUnavailable("Logging out is temporarily unavailable; try again.") from exc
    finally:
        memory.dropped(remembered)
    log.info("tokens_revoked", extra={"count": len(revoked), "token_type": claims.get("type")})
    return revoked


def is_revoked(claims: dict, user) -> bool:
    """The check behind every authenticated request (blocklist, then tokens_valid_after).

    ``user`` is anything with ``tokens_valid_after`` (the ``User`` row or its cached
    ``AccountState``), or None."""
    ids = [claims["jti"]] + ([claims["rjti"]] if claims.get("rjti") else [])
    memory, remembered = mirror(), [_memory_key(jti) for jti in ids]
    # Known unrevoked by this process, with no revocation heard since (app/web/mirror.py).
    if not all(memory.get(key) is False for key in remembered):
        ticket = memory.ticket()
        try:
            extra = prefetch_keys() if has_request_context() else []
            blocklisted = [_blocklist_key(jti) for jti in ids]
            # One MGET (a blocklist entry is always the string "1"), with what the view will
            # read in the same command (app.web.auth), on this thread's own connection.
            values = read_keys(blocklisted + extra)
            if extra:
                store_prefetched(extra, values[len(blocklisted):], ticket)
            if any(value is not None for value in values[:len(blocklisted)]):
                return True
        except RedisError as exc:  # fail closed: a revoked token must not pass without Redis
            raise ServiceUnavailable("Authentication is temporarily unavailable; try again.") from exc
        for key in remembered:
            memory.put(key, False, ticket, TOKEN_MEMORY_SECONDS)
    if user is not None and user.tokens_valid_after is not None:
        issued_us = claims.get("iat_us", int(claims.get("iat", 0)) * 1_000_000)
        if issued_us < _microseconds(user.tokens_valid_after):
            return True
    return False


def revoke_all_before_now(user: User) -> None:
    """Tokens issued up to this instant stop working (the caller commits)."""
    user.tokens_valid_after = datetime.now(UTC)
