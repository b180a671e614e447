"""The token guards every blueprint uses.

    @bp.get("/renders")
    @auth_required()
    @bp.doc(security=BEARER_AUTH)
    def list_renders():
        user = current_user()

The loaders behind them (which user a token names, whether it is revoked, the error answers)
are registered by the accounts package (``app.accounts.guards.init_jwt``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable

from flask import current_app, has_request_context, request
from flask_jwt_extended import get_jwt, jwt_required, verify_jwt_in_request

from app.errors import Unauthorized
from app.extensions import db
from app.models import User

# The OpenAPI security requirement of an endpoint that needs a token: @bp.doc(security=...).
BEARER_AUTH = [{"bearerAuth": []}]
_REQUEST_USERS = "waveframe.request_users"
_PREFETCHED = "waveframe.prefetched"

# endpoint -> the Redis keys its view will read, given the URL's arguments: read in the same
# round trip as the token's revocation check (``prefetch_keys`` / ``prefetched``).
_PREFETCH: dict[str, Callable[[dict], list[str]]] = {}


def read_with_token_check(endpoint: str, keys: Callable[[dict], list[str]]) -> None:
    """Have the guard read ``keys(view_args)`` along with its revocation check for requests to
    ``endpoint`` (the status poll: one Redis round trip instead of two)."""
    _PREFETCH[endpoint] = keys


def prefetch_keys() -> list[str]:
    """The keys the current request's view asked to have read with the token check."""
    keys = _PREFETCH.get(request.endpoint or "")
    return keys(request.view_args or {}) if keys else []


def store_prefetched(keys: list[str], values: list, ticket) -> None:
    """Keep what the token check read for the view, with the mirror's ticket taken before the
    read (app/web/mirror.py: what was read before a change heard since is not remembered)."""
    request.environ[_PREFETCHED] = (dict(zip(keys, values, strict=True)), ticket)


def prefetched(keys: list[str]) -> tuple[list, object] | None:
    """(the values of ``keys`` read with this request's token check, the ticket taken before
    that read), or None when they were not read."""
    found = request.environ.get(_PREFETCHED) if has_request_context() else None
    if found is None or any(key not in found[0] for key in keys):
        return None
    return [found[0][key] for key in keys], found[1]


def auth_required(*, fresh: bool = False, refresh: bool = False, optional: bool = False,
                  verify_type: bool = True, locations: Callable[[], list[str]] | None = None):
    """A valid, unrevoked access token (or refresh token) of an active user.

    ``verify_type=False`` accepts either kind of token (logout). ``locations`` says, per request,
    where to look for the token (the web app's refresh cookie; default: the Authorization header).
    """
    if locations is None:
        return jwt_required(fresh=fresh, refresh=refresh, optional=optional,
                            verify_type=verify_type)

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request(optional=optional, fresh=fresh, refresh=refresh,
                                  locations=locations(), verify_type=verify_type)
            return current_app.ensure_sync(view)(*args, **kwargs)
        return wrapper
    return decorate


def current_user_id() -> uuid.UUID:
    """The id of the account of the request's token (checked by the guard: active, unrevoked)."""
    return uuid.UUID(get_jwt()["sub"])


def current_user() -> User:
    """The row of the request's account, read on first use (the guard itself only checks the
    account's cached state, see app/accounts/token_state.py). Re-checked here: a row that has
    gone or been disabled since is refused as the guard would have."""
    user_id = current_user_id()
    users = request.environ.setdefault(_REQUEST_USERS, {})
    if user_id not in users:
        user = db.session.get(User, user_id)
        if user is None or not user.is_active:
            raise Unauthorized("This account does not exist or has been disabled.",
                               code="account_unavailable")
        users[user_id] = user
    return users[user_id]
