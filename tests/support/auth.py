"""Tokens for tests that need an authenticated client without going through login."""

from __future__ import annotations

from flask_jwt_extended import create_access_token


def auth_headers(user, *, fresh: bool = False) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_access_token(identity=user, fresh=fresh)}"}
