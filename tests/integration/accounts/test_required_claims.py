"""A token must carry the claims every token we issue carries (found by the token-attack sweep,
tests/integration/security/test_token_attacks.py): signed with the right key but without
``exp`` it was accepted forever, without ``type`` it passed as an access token."""

from __future__ import annotations

import jwt as pyjwt
import pytest
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token


@pytest.mark.parametrize("claim", ["exp", "type", "sub", "iat_us"])
@pytest.mark.parametrize("kind", ["access", "refresh"])
def test_a_token_without_a_required_claim_is_a_401(client, user_factory, claim, kind):
    user = user_factory()
    token = (create_access_token if kind == "access" else create_refresh_token)(identity=user)
    claims = {k: v for k, v in decode_token(token).items() if k != claim}
    forged = pyjwt.encode(claims, current_app.config["JWT_SECRET_KEY"], algorithm="HS256")
    path, method = ("/api/v1/account", "GET") if kind == "access" else ("/api/v1/auth/refresh", "POST")
    response = client.open(path, method=method, headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401, response.json
    assert response.json["error"]["code"] == "invalid_token"
    # the complete token still works
    complete = client.open(path, method=method, headers={"Authorization": f"Bearer {token}"})
    assert complete.status_code == 200
