"""Every token attack on every protected route (found from the url map): 401, in the one error
shape -- expired, wrong signature, alg=none, the other token type, revoked, missing claims,
a disabled or deleted user, garbage."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import timedelta

import jwt as pyjwt
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token

from app.accounts.tokens import issue_token_pair, revoke_claims
from app.extensions import db
from tests.integration.security.conftest import call

REFRESH_ROUTES = {"/api/v1/auth/refresh"}
EITHER_TYPE_ROUTES = {"/api/v1/auth/logout"}  # logging out accepts an access or a refresh token


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(token: str) -> dict:
    return decode_token(token, allow_expired=True)


def signed(claims: dict, key: str | None = None, algorithm: str = "HS256") -> str:
    return pyjwt.encode(claims, key or current_app.config["JWT_SECRET_KEY"], algorithm=algorithm)


def attacks(user, *, refresh: bool) -> dict[str, str]:
    """name -> a token that must be refused, for a route wanting a refresh token or not."""
    make = create_refresh_token if refresh else create_access_token
    good = make(identity=user, fresh=True) if not refresh else make(identity=user)
    claims = claims_of(good)
    other_type = (
        create_access_token(identity=user, fresh=True) if refresh else create_refresh_token(identity=user)
    )
    revoked = issue_token_pair(user)
    revoked_token = revoked.refresh_token if refresh else revoked.access_token
    revoke_claims(claims_of(revoked_token))
    now = int(time.time())
    found = {
        "expired": make(identity=user, expires_delta=timedelta(seconds=-5)),
        "wrong signature": signed(claims, key="another-secret-" + "x" * 32),
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
        "alg none, signature kept": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
        + good.rsplit(".", 1)[1],
        "HS512 with the right key": signed(claims, algorithm="HS512"),
        "payload tampered": ".".join(
            [good.split(".")[0], b64({**claims, "sub": str(uuid.uuid4())}), good.split(".")[2]]
        ),
        "other token type": other_type,
        "revoked": revoked_token,
        "not yet valid": signed({**claims, "nbf": now + 3600, "iat": now + 3600}),
        "unknown user": signed({**claims, "sub": str(uuid.uuid4())}),
        "sub not a uuid": signed({**claims, "sub": "admin"}),
        "garbage": "not-a-jwt",
        "three garbage parts": "a.b.c",
        "empty": "",
    }
    for claim in ("sub", "type", "exp", "jti"):
        found[f"no {claim}"] = signed({k: v for k, v in claims.items() if k != claim})
    return found


def test_every_token_attack_on_every_protected_route_is_a_401(sweep_client, protected_routes, user_factory):
    user = user_factory()
    job_values = {}
    wrong = []
    for route in protected_routes:
        refresh = route.rule in REFRESH_ROUTES
        for name, token in attacks(user, refresh=refresh).items():
            if name == "other token type" and route.rule in EITHER_TYPE_ROUTES:
                continue
            for header in (f"Bearer {token}", token, f"Basic {token}"):
                response = call(sweep_client, route, {"Authorization": header}, **job_values)
                body = response.get_json(silent=True) or {}
                if response.status_code != 401 or not body.get("error", {}).get("code"):
                    wrong.append(
                        f"{route} with {name!r} ({header.split(' ')[0]}): "
                        f"{response.status_code} {response.get_data()[:100]!r}"
                    )
    assert not wrong, "\n".join(wrong)


def test_a_disabled_or_deleted_user_is_refused_everywhere(sweep_client, protected_routes, user_factory):
    disabled, deleted = user_factory(), user_factory()
    tokens = {"disabled": issue_token_pair(disabled), "deleted": issue_token_pair(deleted)}
    disabled.is_active = False
    db.session.delete(deleted)
    db.session.commit()
    wrong = []
    for route in protected_routes:
        for name, pair in tokens.items():
            token = pair.refresh_token if route.rule in REFRESH_ROUTES else pair.access_token
            response = call(sweep_client, route, {"Authorization": f"Bearer {token}"})
            if response.status_code != 401:
                wrong.append(f"{route} as a {name} user: {response.status_code}")
    assert not wrong, "\n".join(wrong)
