"""Accounts: register, log in, refresh and log out (tokens), password reset, the profile and the
history (routes + schemas), the rules behind them, the JWT loaders behind every token guard, and
the account commands (``flask create-admin``, ``flask users``)."""

from __future__ import annotations

from flask import Flask

from app.accounts.guards import init_jwt
from app.accounts.routes import account_bp, auth_bp
from app.web.docs import api


def init_app(app: Flask) -> None:
    init_jwt(app)
    api.register_blueprint(auth_bp)
    api.register_blueprint(account_bp)
