"""The JWT loaders behind the token guards (``app.web.auth``): which user a token names,
whether it is revoked, the claims every token carries, and the error each refusal answers."""

from __future__ import annotations

import uuid

from flask import Flask
from flask_jwt_extended.config import config as jwt_config
from flask_jwt_extended.exceptions import JWTDecodeError

from app.accounts.tokens import is_revoked, issued_at_claims
from app.errors import error_response
from app.extensions import db, jwt
from app.models import User

# Claims every token we issue carries. The JWT library would fill a missing ``type`` with
# "access" and let a token without ``exp`` live forever; such a token is refused (401) instead.
REQUIRED_CLAIMS = ("sub", "type", "exp", "iat_us")


def refuse_incomplete_claims(claims: dict) -> None:
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise JWTDecodeError(f"Missing claim: {', '.join(missing)}")


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

    @jwt.decode_key_loader
    def _key_for_complete_tokens(_header, unverified_claims):
        refuse_incomplete_claims(unverified_claims)
        return jwt_config.decode_key

    @jwt.additional_claims_loader
    def _issued_at(_identity):
        return issued_at_claims()

    @jwt.token_in_blocklist_loader
    def _is_revoked(_header, payload):
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
