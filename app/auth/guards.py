"""Authentication guards every blueprint uses, and the JWT loaders that back them.

    @bp.get("/renders")
    @auth_required()
    def list_renders():
        user = current_user()
"""

from __future__ import annotations

import functools
import uuid

from flask import Flask, current_app
from flask_jwt_extended import current_user as _jwt_current_user
from flask_jwt_extended import jwt_required, verify_jwt_in_request

from app.auth.refresh_cookie import token_locations
from app.errors import Forbidden, error_response
from app.extensions import db, jwt
from app.models import User


def auth_required(*, fresh: bool = False, refresh: bool = False, optional: bool = False,
                  verify_type: bool = True, refresh_cookie: bool = False):
    """A valid, unrevoked access token (or refresh token) of an active user.

    ``verify_type=False`` accepts either kind of token (logout). ``refresh_cookie=True`` also
    accepts the web app's refresh-token cookie, when the request asks for it with the header
    of ``app.auth.refresh_cookie`` (refresh, logout).
    """
    if not refresh_cookie:
        return jwt_required(fresh=fresh, refresh=refresh, optional=optional,
                            verify_type=verify_type)

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request(optional=optional, fresh=fresh, refresh=refresh,
                                  locations=token_locations(), verify_type=verify_type)
            return current_app.ensure_sync(view)(*args, **kwargs)
        return wrapper
    return decorate


def admin_required():
    def decorate(view):
        @functools.wraps(view)
        @jwt_required()
        def wrapper(*args, **kwargs):
            if not current_user().is_admin:
                raise Forbidden("This action needs an administrator.")
            return view(*args, **kwargs)
        return wrapper
    return decorate


def current_user() -> User:
    return _jwt_current_user


def init_jwt(app: Flask) -> None:
    app.config.setdefault("JWT_ERROR_MESSAGE_KEY", "message")

    @jwt.user_identity_loader
    def _identity(user):
        return str(user.id if isinstance(user, User) else user)

    @jwt.user_lookup_loader
    def _lookup(_header, payload):
        try:
            user_id = uuid.UUID(payload["sub"])
        except (KeyError, ValueError):
            return None
        user = db.session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return user

    @jwt.additional_claims_loader
    def _issued_at(_identity):
        from app.services.auth_tokens import issued_at_claims
        return issued_at_claims()

    @jwt.token_in_blocklist_loader
    def _is_revoked(_header, payload):
        from app.services.auth_tokens import is_revoked
        try:
            user = db.session.get(User, uuid.UUID(payload["sub"]))
        except (KeyError, ValueError):
            return True
        return is_revoked(payload, user)

    @jwt.user_lookup_error_loader
    def _lookup_error(_header, _payload):
        return error_response(401, "account_unavailable",
                              "This account does not exist or has been disabled.")

    @jwt.unauthorized_loader
    def _missing(reason: str):
        return error_response(401, "unauthorized",
                              "Authentication is required: send 'Authorization: Bearer <token>'.")

    @jwt.invalid_token_loader
    def _invalid(reason: str):
        return error_response(401, "invalid_token", "The token is invalid.")

    @jwt.expired_token_loader
    def _expired(_header, _payload):
        return error_response(401, "token_expired", "The token has expired; refresh or log in again.")

    @jwt.revoked_token_loader
    def _revoked(_header, _payload):
        return error_response(401, "token_revoked", "The token has been revoked; log in again.")

    @jwt.needs_fresh_token_loader
    def _not_fresh(_header, _payload):
        return error_response(401, "fresh_login_required",
                              "This action needs a fresh login; log in again.")

    @jwt.token_verification_failed_loader
    def _verification_failed(_header, _payload):
        return error_response(401, "invalid_token", "The token is invalid.")
