"""The JWT loaders behind the token guards (``app.web.auth``): which user a token names,
whether it is revoked, the claims every token carries, and the error each refusal answers."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, has_request_context, request
from flask_jwt_extended.config import config as jwt_config
from jwt.exceptions import DecodeError

from app.accounts.tokens import claims_problem, is_revoked, issued_at_claims
from app.errors import error_response
from app.extensions import db, jwt
from app.models import User

log = logging.getLogger(__name__)
_REQUEST_USERS = "waveframe.token_users"


def token_user(payload: dict) -> User | None:
    """The user a token's ``sub`` names, read once per request.

    The revocation check and the user loader both need the row; without this the identity map
    (weakly referencing) has often dropped it between the two and the row is selected twice.
    Raises ``KeyError``/``ValueError`` for a token without a valid ``sub``.
    """
    user_id = uuid.UUID(payload["sub"])
    if not has_request_context():
        return db.session.get(User, user_id)
    users = request.environ.setdefault(_REQUEST_USERS, {})
    if user_id not in users:
        users[user_id] = db.session.get(User, user_id)
    return users[user_id]


def init_jwt(app: Flask) -> None:
    app.config.setdefault("JWT_ERROR_MESSAGE_KEY", "message")

    @jwt.decode_key_loader
    def _decode_key(_header, unverified_claims):
        # Runs before the signature check and before anything reads a claim: a token whose
        # claims do not have our shape is invalid (401 invalid_token), signed by us or not.
        problem = claims_problem(unverified_claims)
        if problem:
            log.info("token_refused", extra={"reason": problem})
            raise DecodeError(problem)
        return jwt_config.decode_key

    @jwt.user_identity_loader
    def _identity(user):
        return str(user.id if isinstance(user, User) else user)

    @jwt.user_lookup_loader
    def _lookup(_header, payload):
        try:
            user = token_user(payload)
        except (KeyError, ValueError, TypeError, AttributeError):
            return None
        if user is None or not user.is_active:
            return None
        return user

    @jwt.additional_claims_loader
    def _issued_at(_identity):
        return issued_at_claims()

    @jwt.token_in_blocklist_loader
    def _is_revoked(_header, payload):
        try:
            user = token_user(payload)
        except (KeyError, ValueError, TypeError, AttributeError):
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
