"""Account endpoints: the profile, changing email or password, and the history."""

from __future__ import annotations

from app.account import bp
from app.account.schemas import (
    AccountUpdateResultSchema,
    AccountUpdateSchema,
    HistoryArgsSchema,
    HistoryPageSchema,
)
from app.auth.guards import auth_required, current_user
from app.auth.limits import ACCOUNT_CHANGE_PER_IP, client_ip
from app.auth.refresh_cookie import TRANSPORT_PARAMETER, deliver_refresh_token
from app.auth.schemas import ErrorResponseSchema, UserSchema
from app.extensions import limiter
from app.services import accounts

__all__ = ["bp"]

AUTH_DOC = [{"bearerAuth": []}]


@bp.get("")
@auth_required()
@bp.doc(security=AUTH_DOC)
@bp.response(200, UserSchema)
@bp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in, or the token was revoked.")
def get_account():
    """Your profile."""
    return current_user()


@bp.patch("")
@auth_required(fresh=True)
@limiter.limit(ACCOUNT_CHANGE_PER_IP, key_func=client_ip)
@bp.doc(security=AUTH_DOC, parameters=[TRANSPORT_PARAMETER])
@bp.arguments(AccountUpdateSchema)
@bp.response(200, AccountUpdateResultSchema)
@bp.alt_response(401, schema=ErrorResponseSchema,
                 description="fresh_login_required: changes need an access token from a login, "
                             "not from a refresh.")
@bp.alt_response(409, schema=ErrorResponseSchema, description="The new email is already registered.")
@bp.alt_response(422, schema=ErrorResponseSchema,
                 description="Wrong current password, an unknown field (is_admin, id...), an invalid "
                             "email, or a password that fails the policy.")
def update_account(body):
    """Change your email and/or password; needs the current password and a fresh login.

    A password change signs out every earlier session and answers the tokens of a new one.
    """
    result = accounts.update_account(current_user(), current_password=body["current_password"],
                                     email=body.get("email"), password=body.get("password"))
    tokens = result.tokens
    return deliver_refresh_token({
        "user": result.user, "access_token": tokens.access_token if tokens else None,
        "refresh_token": tokens.refresh_token if tokens else None})


@bp.get("/history")
@auth_required()
@bp.doc(security=AUTH_DOC)
@bp.arguments(HistoryArgsSchema, location="query")
@bp.response(200, HistoryPageSchema)
def history(args):
    """Your renders and payments, newest first (``type`` narrows to one kind)."""
    result = accounts.account_history(current_user(), page=args["page"], per_page=args["per_page"],
                                      kind=args.get("type"))
    return {"items": result.items, "page": args["page"], "per_page": args["per_page"],
            "total": result.total}
