"""Auth endpoints: register, login, refresh, logout, password reset (request and confirm)."""

from __future__ import annotations

from flask import current_app
from flask_jwt_extended import get_jwt

from app.auth import bp
from app.auth.guards import auth_required, current_user
from app.auth.limits import (
    LOGIN_PER_EMAIL,
    LOGIN_PER_IP,
    REGISTER_PER_IP,
    RESET_CONFIRM_PER_IP,
    RESET_PER_EMAIL,
    RESET_PER_IP,
    client_ip,
    email_in_body,
)
from app.auth.refresh_cookie import TRANSPORT_PARAMETER, clear_refresh_cookie, deliver_refresh_token
from app.auth.schemas import (
    AccessTokenSchema,
    AuthSessionSchema,
    CredentialsSchema,
    ErrorResponseSchema,
    MessageSchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
)
from app.extensions import limiter
from app.services import accounts, password_reset

__all__ = ["bp"]

AUTH_DOC = [{"bearerAuth": []}]


def _access_lifetime() -> int:
    value = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    return int(value.total_seconds() if hasattr(value, "total_seconds") else value)


def _session_body(session: accounts.AuthSession) -> dict:
    return deliver_refresh_token({
        "access_token": session.access_token, "refresh_token": session.refresh_token,
        "expires_in": _access_lifetime(), "user": session.user})


@bp.post("/register")
@limiter.limit(REGISTER_PER_IP, key_func=client_ip)
@bp.doc(parameters=[TRANSPORT_PARAMETER])
@bp.arguments(CredentialsSchema)
@bp.response(201, AuthSessionSchema)
@bp.alt_response(409, schema=ErrorResponseSchema, description="The email is already registered.")
@bp.alt_response(422, schema=ErrorResponseSchema,
                 description="Invalid email, or the password fails the policy.")
@bp.alt_response(429, schema=ErrorResponseSchema, description="Too many registrations from this address.")
def register(body):
    """Create an account; answers the user and the tokens of a first login."""
    return _session_body(accounts.register(body["email"], body["password"]))


@bp.post("/login")
@limiter.limit(LOGIN_PER_EMAIL, key_func=email_in_body)
@limiter.limit(LOGIN_PER_IP, key_func=client_ip)
@bp.doc(parameters=[TRANSPORT_PARAMETER])
@bp.arguments(CredentialsSchema)
@bp.response(200, AuthSessionSchema)
@bp.alt_response(401, schema=ErrorResponseSchema,
                 description="Unknown email or wrong password (same answer).")
@bp.alt_response(403, schema=ErrorResponseSchema, description="The account is disabled.")
@bp.alt_response(429, schema=ErrorResponseSchema, description="Too many attempts for this IP or email.")
def login(body):
    """Log in: a fresh access token (15 min) and a refresh token (30 days)."""
    return _session_body(accounts.login(body["email"], body["password"]))


@bp.post("/refresh")
@auth_required(refresh=True, refresh_cookie=True)
@bp.doc(security=AUTH_DOC, parameters=[TRANSPORT_PARAMETER])
@bp.response(200, AccessTokenSchema)
@bp.alt_response(401, schema=ErrorResponseSchema, description="Missing, expired or revoked refresh token.")
def refresh():
    """Exchange the refresh token (as the Bearer token) for a new access token.

    The web app sends ``X-Refresh-Token-Transport: cookie`` instead, with its HttpOnly cookie.
    """
    token = accounts.refresh_access_token(current_user(), get_jwt())
    return {"access_token": token, "expires_in": _access_lifetime()}


@bp.post("/logout")
@auth_required(verify_type=False, refresh_cookie=True)
@bp.doc(security=AUTH_DOC, parameters=[TRANSPORT_PARAMETER])
@bp.response(204)
@bp.alt_response(401, schema=ErrorResponseSchema, description="Missing, expired or already revoked token.")
def logout():
    """Revoke the presented token; an access token also revokes the refresh token of its login.

    The web app's refresh-token cookie, when sent, is cleared.
    """
    accounts.logout(get_jwt())
    clear_refresh_cookie()


@bp.post("/password-reset")
@limiter.limit(RESET_PER_EMAIL, key_func=email_in_body)
@limiter.limit(RESET_PER_IP, key_func=client_ip)
@bp.arguments(PasswordResetRequestSchema)
@bp.response(202, MessageSchema)
@bp.alt_response(429, schema=ErrorResponseSchema, description="Too many requests for this IP or email.")
def request_password_reset(body):
    """Email a single-use reset link (valid 1 hour); the answer is the same for any email."""
    password_reset.request_password_reset(body["email"])
    return {"message": "If an account exists for this email, a link to reset its password is on "
                       "its way."}


@bp.post("/password-reset/confirm")
@limiter.limit(RESET_CONFIRM_PER_IP, key_func=client_ip)
@bp.arguments(PasswordResetConfirmSchema)
@bp.response(204)
@bp.alt_response(400, schema=ErrorResponseSchema,
                 description="reset_token_invalid (tampered or superseded), reset_token_used or "
                             "reset_token_expired.")
@bp.alt_response(422, schema=ErrorResponseSchema, description="The new password fails the policy.")
def confirm_password_reset(body):
    """Set a new password with the emailed token; every earlier login is signed out."""
    password_reset.confirm_password_reset(body["token"], body["password"])
