"""Request and response shapes of the auth and account endpoints."""

from __future__ import annotations

import marshmallow as ma

from app.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from app.web.schemas import MAX_PAGE, MAX_PER_PAGE

EMAIL_MAX = 320
PASSWORD_MAX = 1024  # a password being checked (login, current password); new ones: MAX_LENGTH
HISTORY_TYPES = ("render", "payment")
NEW_PASSWORD_RULES = (f"{MIN_LENGTH} to {MAX_LENGTH} characters; not your email address (or its part "
                      "before @), not a common password, not one character repeated.")


def new_password_field(**kwargs) -> ma.fields.String:
    """A password being set: the policy's lengths are validated here (so the OpenAPI document
    states them); the other rules (email, common passwords) by the service, also with 422."""
    return ma.fields.String(load_only=True, validate=ma.validate.Length(
        min=MIN_LENGTH, max=MAX_LENGTH, error=f"Use {MIN_LENGTH} to {MAX_LENGTH} characters."),
        metadata={"description": NEW_PASSWORD_RULES}, **kwargs)


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
                                validate=ma.validate.Length(min=1, max=PASSWORD_MAX))


class RegistrationSchema(CredentialsSchema):
    password = new_password_field(required=True)


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
    password = new_password_field(required=True)


class MessageSchema(ma.Schema):
    message = ma.fields.String(required=True)


class AccountUpdateSchema(ma.Schema):
    """Only these fields exist: anything else (``is_admin``, ``id``...) is refused with 422."""

    email = ma.fields.String(validate=ma.validate.Length(min=1, max=EMAIL_MAX))
    password = new_password_field()
    current_password = ma.fields.String(required=True, load_only=True,
                                        validate=ma.validate.Length(min=1, max=PASSWORD_MAX))

    @ma.validates_schema
    def _something_to_change(self, data, **_kwargs):
        if "email" not in data and "password" not in data:
            raise ma.ValidationError("Give a new email or a new password.", field_name="email")


class AccountUpdateResultSchema(ma.Schema):
    user = ma.fields.Nested(UserSchema, required=True)
    access_token = ma.fields.String(allow_none=True, metadata={
        "description": "Set when the password changed: every earlier token was revoked."})
    refresh_token = ma.fields.String(allow_none=True, metadata={
        "description": "Absent when the request sent 'X-Refresh-Token-Transport: cookie' (the "
                       "new refresh token is then set as an HttpOnly cookie)."})


class HistoryArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))
    type = ma.fields.String(validate=ma.validate.OneOf(HISTORY_TYPES),
                            metadata={"description": "Only renders or only payments."})


class HistoryItemSchema(ma.Schema):
    """A render (type=render) or a payment (type=payment); fields of the other kind are absent."""

    type = ma.fields.String(required=True, validate=ma.validate.OneOf(HISTORY_TYPES))
    id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    # render
    progress = ma.fields.Integer()
    title = ma.fields.String(allow_none=True)
    formats = ma.fields.List(ma.fields.String(), metadata={
        "description": "The sizes the render makes, one video each (see the job's outputs)."})
    completed_at = ma.fields.DateTime(allow_none=True)
    price_amount = ma.fields.Integer(allow_none=True)
    price_currency = ma.fields.String(allow_none=True)
    # payment
    render_job_id = ma.fields.UUID()
    amount = ma.fields.Integer()
    currency = ma.fields.String()
    paid_at = ma.fields.DateTime(allow_none=True)
    refunded_at = ma.fields.DateTime(allow_none=True)


class HistoryPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(HistoryItemSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
