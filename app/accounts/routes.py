"""Auth and account endpoints: register, login, refresh, logout, password reset (request and
confirm); the profile, changing email or password, and the history."""

from __future__ import annotations

from flask_jwt_extended import get_jwt
from flask_smorest import Blueprint

from app.accounts import password_reset, service
from app.accounts.history import account_history
from app.accounts.limits import (
    ACCOUNT_CHANGE_PER_IP,
    LOGIN_PER_EMAIL,
    LOGIN_PER_IP,
    REGISTER_PER_IP,
    RESET_CONFIRM_PER_IP,
    RESET_PER_EMAIL,
    RESET_PER_IP,
    account_in_body,
    client_ip,
)
from app.accounts.refresh_cookie import (
    TRANSPORT_PARAMETER,
    clear_refresh_cookie,
    deliver_refresh_token,
    token_locations,
)
from app.accounts.schemas import (
    AccessTokenSchema,
    AccountUpdateResultSchema,
    AccountUpdateSchema,
    AuthSessionSchema,
    CredentialsSchema,
    HistoryArgsSchema,
    HistoryPageSchema,
    MessageSchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    RegistrationSchema,
    UserSchema,
)
from app.accounts.tokens import lifetime_seconds
from app.extensions import limiter
from app.web.auth import BEARER_AUTH, auth_required, current_user
from app.web.schemas import ErrorSchema

auth_bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                    description="Accounts and tokens: register, log in, refresh, log out, reset a password.")
account_bp = Blueprint("account", __name__, url_prefix="/api/v1/account",
                       description="Your profile, email and password changes, and your render history.")


def _session_body(session: service.AuthSession) -> dict:
    return deliver_refresh_token({
        "access_token": session.access_token, "refresh_token": session.refresh_token,
        "expires_in": lifetime_seconds("JWT_ACCESS_TOKEN_EXPIRES"), "user": session.user})


# -- auth ------------------------------------------------------------------------------------

@auth_bp.post("/register")
@limiter.limit(REGISTER_PER_IP, key_func=client_ip)
@auth_bp.doc(parameters=[TRANSPORT_PARAMETER])
@auth_bp.arguments(RegistrationSchema)
@auth_bp.response(201, AuthSessionSchema)
@auth_bp.alt_response(409, schema=ErrorSchema, description="The email is already registered.")
@auth_bp.alt_response(422, schema=ErrorSchema,
                 description="Invalid email, or the password fails the policy.")
@auth_bp.alt_response(429, schema=ErrorSchema, description="Too many registrations from this address.")
def register(body):
    """Create an account; answers the user and the tokens of a first login."""
    return _session_body(service.register(body["email"], body["password"]))


@auth_bp.post("/login")
@limiter.limit(LOGIN_PER_EMAIL, key_func=account_in_body)
@limiter.limit(LOGIN_PER_IP, key_func=client_ip)
@auth_bp.doc(parameters=[TRANSPORT_PARAMETER])
@auth_bp.arguments(CredentialsSchema)
@auth_bp.response(200, AuthSessionSchema)
@auth_bp.alt_response(401, schema=ErrorSchema,
                 description="Unknown email or wrong password (same answer).")
@auth_bp.alt_response(403, schema=ErrorSchema, description="The account is disabled.")
@auth_bp.alt_response(429, schema=ErrorSchema, description="Too many attempts for this IP or email.")
def login(body):
    """Log in: a fresh access token (15 min) and a refresh token (30 days)."""
    return _session_body(service.login(body["email"], body["password"]))


@auth_bp.post("/refresh")
@auth_required(refresh=True, locations=token_locations)
@auth_bp.doc(security=BEARER_AUTH, parameters=[TRANSPORT_PARAMETER])
@auth_bp.response(200, AccessTokenSchema)
@auth_bp.alt_response(401, schema=ErrorSchema, description="Missing, expired or revoked refresh token.")
def refresh():
    """Exchange the refresh token (as the Bearer token) for a new access token.

    The web app sends ``X-Refresh-Token-Transport: cookie`` instead, with its HttpOnly cookie.
    """
    token = service.refresh_access_token(current_user(), get_jwt())
    return {"access_token": token, "expires_in": lifetime_seconds("JWT_ACCESS_TOKEN_EXPIRES")}


@auth_bp.post("/logout")
@auth_required(verify_type=False, locations=token_locations)
@auth_bp.doc(security=BEARER_AUTH, parameters=[TRANSPORT_PARAMETER])
@auth_bp.response(204)
@auth_bp.alt_response(401, schema=ErrorSchema, description="Missing, expired or already revoked token.")
def logout():
    """Revoke the presented token; an access token also revokes the refresh token of its login.

    The web app's refresh-token cookie, when sent, is cleared.
    """
    service.logout(get_jwt())
    clear_refresh_cookie()


@auth_bp.post("/password-reset")
@limiter.limit(RESET_PER_EMAIL, key_func=account_in_body)
@limiter.limit(RESET_PER_IP, key_func=client_ip)
@auth_bp.arguments(PasswordResetRequestSchema)
@auth_bp.response(202, MessageSchema)
@auth_bp.alt_response(429, schema=ErrorSchema, description="Too many requests for this IP or email.")
def request_password_reset(body):
    """Email a single-use reset link (valid 1 hour); the answer is the same for any email."""
    password_reset.request_password_reset(body["email"])
    return {"message": "If an account exists for this email, a link to reset its password is on "
                       "its way."}


@auth_bp.post("/password-reset/confirm")
@limiter.limit(RESET_CONFIRM_PER_IP, key_func=client_ip)
@auth_bp.arguments(PasswordResetConfirmSchema)
@auth_bp.response(204)
@auth_bp.alt_response(400, schema=ErrorSchema,
                 description="reset_token_invalid (tampered or superseded), reset_token_used or "
                             "reset_token_expired.")
@auth_bp.alt_response(422, schema=ErrorSchema, description="The new password fails the policy.")
def confirm_password_reset(body):
    """Set a new password with the emailed token; every earlier login is signed out."""
    password_reset.confirm_password_reset(body["token"], body["password"])


# -- account ---------------------------------------------------------------------------------

@account_bp.get("")
@auth_required()
@account_bp.doc(security=BEARER_AUTH)
@account_bp.response(200, UserSchema)
@account_bp.alt_response(401, schema=ErrorSchema, description="Not signed in, or the token was revoked.")
def get_account():
    """Your profile."""
    return current_user()


@account_bp.patch("")
@auth_required(fresh=True)
@limiter.limit(ACCOUNT_CHANGE_PER_IP, key_func=client_ip)
@account_bp.doc(security=BEARER_AUTH, parameters=[TRANSPORT_PARAMETER])
@account_bp.arguments(AccountUpdateSchema)
@account_bp.response(200, AccountUpdateResultSchema)
@account_bp.alt_response(401, schema=ErrorSchema,
                 description="fresh_login_required: changes need an access token from a login, "
                             "not from a refresh.")
@account_bp.alt_response(409, schema=ErrorSchema, description="The new email is already registered.")
@account_bp.alt_response(422, schema=ErrorSchema,
                 description="Wrong current password, an unknown field (is_admin, id...), an invalid "
                             "email, or a password that fails the policy.")
def update_account(body):
    """Change your email and/or password; needs the current password and a fresh login.

    A password change signs out every earlier session and answers the tokens of a new one.
    """
    result = service.update_account(current_user(), current_password=body["current_password"],
                                     email=body.get("email"), password=body.get("password"))
    tokens = result.tokens
    return deliver_refresh_token({
        "user": result.user, "access_token": tokens.access_token if tokens else None,
        "refresh_token": tokens.refresh_token if tokens else None})


@account_bp.get("/history")
@auth_required()
@account_bp.doc(security=BEARER_AUTH)
@account_bp.arguments(HistoryArgsSchema, location="query")
@account_bp.response(200, HistoryPageSchema)
def history(args):
    """Your renders and payments, newest first (``type`` narrows to one kind)."""
    result = account_history(current_user(), page=args["page"], per_page=args["per_page"],
                                      kind=args.get("type"))
    return {"items": result.items, "page": args["page"], "per_page": args["per_page"],
            "total": result.total}
