"""The account state every token check reads (is_active, tokens_valid_after) is cached per process
for at most ``ACCOUNT_STATE_CACHE_SECONDS`` (app/accounts/token_state.py).

A change made through the ORM in this process takes effect at once (the cache entry is dropped at
flush and commit); a change this process did not make (another gunicorn worker, a shell) takes
effect within the bound.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import sqlalchemy as sa

from app.accounts.token_state import cache
from app.extensions import db
from app.models import User


def _me(client, headers):
    return client.get("/api/v1/account", headers=headers)


def _user_id(email: str):
    return db.session.scalar(sa.select(User.id).where(User.email == email))


def test_a_disable_through_the_orm_takes_effect_on_the_next_request(client, accounts):
    body = accounts.register()
    headers = accounts.bearer(body["access_token"])
    assert _me(client, headers).status_code == 200  # the state is cached now
    user_id = _user_id("ada@example.com")
    assert cache.get(user_id)[0]
    user = db.session.get(User, user_id)
    user.is_active = False
    db.session.commit()
    response = _me(client, headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "account_unavailable"


def test_tokens_valid_after_through_the_orm_takes_effect_on_the_next_request(client, accounts):
    body = accounts.register()
    headers = accounts.bearer(body["access_token"])
    assert _me(client, headers).status_code == 200
    user = db.session.get(User, _user_id("ada@example.com"))
    user.tokens_valid_after = datetime.now(UTC)
    db.session.commit()
    response = _me(client, headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_revoked"


def test_a_disable_by_another_process_takes_effect_within_the_bound(app, client, accounts):
    bound = float(app.config["ACCOUNT_STATE_CACHE_SECONDS"])
    assert 0 < bound <= 2
    body = accounts.register()
    headers = accounts.bearer(body["access_token"])
    assert _me(client, headers).status_code == 200
    user_id = _user_id("ada@example.com")
    # As another process would: a plain UPDATE on a connection of its own, no ORM event here.
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET is_active = false WHERE id = :id"), {"id": user_id})
    changed = time.monotonic()
    while (status := _me(client, headers).status_code) == 200:
        assert time.monotonic() - changed <= bound + 0.5, "still served after the bound"
        time.sleep(0.02)
    assert status == 401
    assert time.monotonic() - changed <= bound + 0.5


def test_with_the_cache_off_another_process_s_disable_is_seen_at_once(app, client, accounts,
                                                                     monkeypatch):
    monkeypatch.setitem(app.config, "ACCOUNT_STATE_CACHE_SECONDS", 0)
    body = accounts.register()
    headers = accounts.bearer(body["access_token"])
    assert _me(client, headers).status_code == 200
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET is_active = false WHERE id = :id"),
                     {"id": _user_id("ada@example.com")})
    assert _me(client, headers).status_code == 401


def test_a_deleted_account_is_refused(client, accounts):
    body = accounts.register()
    headers = accounts.bearer(body["access_token"])
    assert _me(client, headers).status_code == 200
    db.session.delete(db.session.get(User, _user_id("ada@example.com")))
    db.session.commit()
    assert _me(client, headers).status_code == 401
