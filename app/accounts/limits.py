"""Rate limits of the account endpoints (Flask-Limiter, counted in Redis).

Login and password reset are limited per client IP *and* per account (so neither many
addresses from one IP nor one address from many IPs gets far); register per IP. Every attempt
counts, successful or not: the eleventh login within a minute is refused with 429, in our error
shape with ``Retry-After`` and ``X-RateLimit-*`` headers.

The per-account counter is keyed on the account's identity, never on the spelling a client
sent: the address is normalised exactly as the account lookup normalises it, and when that
finds an account the key is the account's id (so case, Unicode compatibility forms such as
full-width letters, and a later change of address all share one counter). An address with no
account is keyed on its normalised form, folded further (NFKC, casefold).
"""

from __future__ import annotations

import logging
import unicodedata

from flask import request
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.service import find_user_by_email, normalize_email
from app.errors import InvalidField

log = logging.getLogger(__name__)

LOGIN_PER_IP = "10 per minute;100 per hour"
LOGIN_PER_EMAIL = "10 per minute;20 per hour"
RESET_PER_IP = "5 per minute;20 per hour"
RESET_PER_EMAIL = "3 per minute;10 per hour"
RESET_CONFIRM_PER_IP = "10 per minute;50 per hour"
REGISTER_PER_IP = "10 per minute;50 per hour"
ACCOUNT_CHANGE_PER_IP = "10 per minute;50 per hour"

_ACCOUNT_KEY = "waveframe.limit_account_key"  # per-request cache (the limiter asks more than once)


def client_ip() -> str:
    return "ip:" + (get_remote_address() or "unknown")


def fold(address: str) -> str:
    """An address folded for comparison: NFKC, casefold, no surrounding space."""
    return unicodedata.normalize("NFKC", address).casefold().strip()


def account_key(raw: object) -> str:
    """The per-account bucket of an email as a client sent it (an absent or odd value: one bucket)."""
    if not isinstance(raw, str):
        return "email:"
    try:
        normalized = normalize_email(raw)
    except InvalidField:
        return "email:" + fold(raw)
    try:
        user = find_user_by_email(normalized)
    except SQLAlchemyError:  # the login itself will answer 503; count on the address meanwhile
        log.warning("limit_account_lookup_failed")
        user = None
    if user is not None:
        return f"account:{user.id}"
    return "email:" + fold(normalized)


def account_in_body() -> str:
    """The per-account bucket of the ``email`` of a JSON body (see the module docstring)."""
    cached = request.environ.get(_ACCOUNT_KEY)
    if cached is None:
        data = request.get_json(silent=True)
        cached = account_key(data.get("email") if isinstance(data, dict) else None)
        request.environ[_ACCOUNT_KEY] = cached
    return cached
