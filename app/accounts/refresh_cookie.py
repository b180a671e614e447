"""The web app's refresh token: an HttpOnly cookie instead of a value JavaScript can read.

A client that sends ``X-Refresh-Token-Transport: cookie`` on register, login or a password
change (``PATCH /account``) gets its refresh token as a cookie -- HttpOnly, SameSite=Strict,
``Path=/api/v1/auth``, Secure over HTTPS -- and not in the JSON answer. It then refreshes (and
logs out) by sending the same header and no refresh token of its own; logging out clears the
cookie. Without the header nothing changes: API clients get the token in the body and send it
as a Bearer token, and a cookie alone is never looked at.

Why this is safe: script on the page (an XSS) can read neither the cookie nor, in cookie mode,
the answer holding the token; other sites cannot make the browser send the cookie
(SameSite=Strict) nor send the custom header without a CORS preflight that fails.
"""

from __future__ import annotations

from flask import after_this_request, current_app, request

from app.accounts.tokens import lifetime_seconds
from app.errors import InvalidField

TRANSPORT_HEADER = "X-Refresh-Token-Transport"
# The header as an OpenAPI parameter, for @bp.doc(parameters=[TRANSPORT_PARAMETER]).
TRANSPORT_PARAMETER = {
    "in": "header", "name": TRANSPORT_HEADER, "required": False,
    "schema": {"type": "string", "enum": ["cookie"]},
    "description": "cookie: the refresh token travels in an HttpOnly cookie (the web app's way), "
                   "not in the JSON body; refresh and logout then read it from the cookie.",
}


def cookie_requested() -> bool:
    return request.headers.get(TRANSPORT_HEADER, "").strip().lower() == "cookie"


def check_transport_header() -> None:
    """Refuse (422, naming the header) a transport other than the one documented, before the
    view runs: an unknown value would otherwise be ignored and the token land in the body."""
    value = request.headers.get(TRANSPORT_HEADER)
    if value is not None and value.strip().lower() != "cookie":
        raise InvalidField(f"{TRANSPORT_HEADER} must be 'cookie' (or left out).",
                           fields={TRANSPORT_HEADER: ["Must be one of: cookie."]})


def token_locations() -> list[str]:
    """Where a refresh-capable endpoint looks for the token in this request."""
    return ["headers", "cookies"] if cookie_requested() else ["headers"]


def deliver_refresh_token(body: dict) -> dict:
    """In cookie mode, move the answer's refresh token into the cookie; otherwise leave it."""
    token = body.get("refresh_token")
    if not token or not cookie_requested():
        return body

    @after_this_request
    def _set_cookie(response):
        response.set_cookie(
            current_app.config["JWT_REFRESH_COOKIE_NAME"], token,
            max_age=lifetime_seconds("JWT_REFRESH_TOKEN_EXPIRES"),
            path=current_app.config["JWT_REFRESH_COOKIE_PATH"],
            secure=request.is_secure, httponly=True, samesite="Strict")
        response.headers["Cache-Control"] = "no-store"
        return response

    return {key: value for key, value in body.items() if key != "refresh_token"}


def clear_refresh_cookie() -> None:
    """Remove the cookie from the browser (logout); a no-op when the request carries none."""
    name = current_app.config["JWT_REFRESH_COOKIE_NAME"]
    if name not in request.cookies:
        return

    @after_this_request
    def _delete_cookie(response):
        response.delete_cookie(name, path=current_app.config["JWT_REFRESH_COOKIE_PATH"],
                               secure=request.is_secure, httponly=True, samesite="Strict")
        return response
