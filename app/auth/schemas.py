"""Request and response shapes of the auth endpoints (and the user shape others reuse)."""

from __future__ import annotations

import marshmallow as ma

from app.web.schemas import ErrorSchema as ErrorResponseSchema  # noqa: F401  (used by routes)

EMAIL_MAX = 320
PASSWORD_MAX = 1024  # the policy allows 256; longer is refused by the service with a clear message


class UserSchema(ma.Schema):
    id = ma.fields.UUID(dump_only=True)
    email = ma.fields.Email(dump_only=True)
    is_admin = ma.fields.Boolean(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    last_login_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class CredentialsSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=EMAIL_MAX),
                             metadata={"example": "ada@example.com"})
    password = ma.fields.String(required=True, load_only=True,
                                validate=ma.validate.Length(min=1, max=PASSWORD_MAX),
                                metadata={"description": "At least 10 characters, not the email, "
                                                         "not a common password."})


class AccessTokenSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    token_type = ma.fields.Constant("Bearer")
    expires_in = ma.fields.Integer(metadata={"description": "Seconds the access token lives."})


class AuthSessionSchema(AccessTokenSchema):
    refresh_token = ma.fields.String(metadata={
        "description": "Absent when the request sent 'X-Refresh-Token-Transport: cookie': the "
                       "token is then set as an HttpOnly cookie (the web app's way)."})
    user = ma.fields.Nested(UserSchema, required=True)


class PasswordResetRequestSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=EMAIL_MAX))


class PasswordResetConfirmSchema(ma.Schema):
    token = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=256),
                             metadata={"description": "The token from the emailed link."})
    password = ma.fields.String(required=True, load_only=True,
                                validate=ma.validate.Length(min=1, max=PASSWORD_MAX))


class MessageSchema(ma.Schema):
    message = ma.fields.String(required=True)
