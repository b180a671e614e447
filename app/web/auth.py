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
from collections.abc import Callable

from flask import current_app
from flask_jwt_extended import current_user as _jwt_current_user
from flask_jwt_extended import jwt_required, verify_jwt_in_request

from app.models import User

# The OpenAPI security requirement of an endpoint that needs a token: @bp.doc(security=...).
BEARER_AUTH = [{"bearerAuth": []}]


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


def current_user() -> User:
    return _jwt_current_user
