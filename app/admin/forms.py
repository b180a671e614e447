"""The console's own forms. All are ``SecureForm``s: a CSRF token bound to the admin session."""

from __future__ import annotations

from flask_admin.form import SecureForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(SecureForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class LogoutForm(SecureForm):
    """No fields: the CSRF token alone (logging someone out from another site is refused too)."""


def csrf_failed(form: SecureForm) -> bool:
    return "csrf_token" in form.errors
