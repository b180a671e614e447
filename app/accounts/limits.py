"""Rate limits of the account endpoints (Flask-Limiter, counted in Redis).

Login and password reset are limited per client IP *and* per email address (so neither many
addresses from one IP nor one address from many IPs gets far); register per IP. Every attempt
counts, successful or not: the eleventh login within a minute is refused with 429, in our error
shape with ``Retry-After`` and ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

from flask import request
from flask_limiter.util import get_remote_address

LOGIN_PER_IP = "10 per minute;100 per hour"
LOGIN_PER_EMAIL = "10 per minute;20 per hour"
RESET_PER_IP = "5 per minute;20 per hour"
RESET_PER_EMAIL = "3 per minute;10 per hour"
RESET_CONFIRM_PER_IP = "10 per minute;50 per hour"
REGISTER_PER_IP = "10 per minute;50 per hour"
ACCOUNT_CHANGE_PER_IP = "10 per minute;50 per hour"


def client_ip() -> str:
    return "ip:" + (get_remote_address() or "unknown")


def email_in_body() -> str:
    """The email of a JSON body, lower-cased (an absent or odd value shares one bucket)."""
    data = request.get_json(silent=True)
    email = data.get("email") if isinstance(data, dict) else None
    return "email:" + (email.strip().lower() if isinstance(email, str) else "")
