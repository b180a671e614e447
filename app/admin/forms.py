"""The console's own forms. All are ``SecureForm``s: a CSRF token bound to the admin session."""

from __future__ import annotations

from flask_admin.form import SecureForm
from wtforms import EmailField, IntegerField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class LoginForm(SecureForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class LogoutForm(SecureForm):
    """No fields: the CSRF token alone (logging someone out from another site is refused too)."""


class ConfirmForm(SecureForm):
    """A one-click action (a button): the CSRF token alone."""


class ReasonForm(SecureForm):
    """An action that needs a written reason (kept in the audit row). Subclass to add fields:

        class RefundForm(ReasonForm):
            amount = IntegerField("Amount (cents, empty: all)", validators=[Optional(), NumberRange(min=1)])
    """

    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=2000)],
                           render_kw={"rows": 3})


class RefundForm(ReasonForm):
    """A refund: empty amount refunds all that is left; otherwise cents (smallest unit)."""

    amount = IntegerField("Amount in cents (empty: all that is left)",
                          validators=[Optional(), NumberRange(min=1)],
                          render_kw={"inputmode": "numeric"})
    # after the amount on the page (WTForms orders fields by definition)
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=2000)],
                           render_kw={"rows": 3})


def csrf_failed(form: SecureForm) -> bool:
    return "csrf_token" in form.errors
