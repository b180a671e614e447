"""GET/PATCH /account and GET /account/history."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import PaymentStatus, RenderStatus, User, utcnow
from tests.integration.accounts.conftest import STRONG_PASSWORD

NEW_PASSWORD = "copper-meadow-sailing-77"


def _patch(client, token, body):
    return client.patch("/api/v1/account", json=body, headers={"Authorization": f"Bearer {token}"})


def test_profile_has_no_hash_or_internal_fields(client, accounts):
    token = accounts.register()["access_token"]
    body = client.get("/api/v1/account", headers=accounts.bearer(token)).get_json()
    assert set(body) == {"id", "email", "is_admin", "created_at", "last_login_at"}


def test_changes_need_a_fresh_login(client, accounts):
    session = accounts.register()
    refreshed = client.post("/api/v1/auth/refresh",
                            headers=accounts.bearer(session["refresh_token"])).get_json()["access_token"]
    response = _patch(client, refreshed, {"email": "new@example.com", "current_password": STRONG_PASSWORD})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "fresh_login_required"
    assert db.session.scalar(db.select(User)).email == "ada@example.com"


def test_changes_need_the_current_password(client, accounts):
    token = accounts.register()["access_token"]
    response = _patch(client, token, {"email": "new@example.com", "current_password": "not-my-password"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "current_password_incorrect" and "current_password" in error["details"]["fields"]
    missing = _patch(client, token, {"email": "new@example.com"})
    assert missing.status_code == 422
    assert "current_password" in missing.get_json()["error"]["details"]["fields"]
    nothing = _patch(client, token, {"current_password": STRONG_PASSWORD})
    assert nothing.status_code == 422
    assert db.session.scalar(db.select(User)).email == "ada@example.com"


def test_mass_assignment_is_refused_and_nothing_applied(client, accounts):
    token = accounts.register()["access_token"]
    user_id = db.session.scalar(db.select(User)).id
    for extra in ({"is_admin": True}, {"id": "00000000-0000-0000-0000-000000000001"},
                  {"is_active": False}, {"password_hash": "x"}, {"tokens_valid_after": None}):
        body = {"email": "evil@example.com", "current_password": STRONG_PASSWORD, **extra}
        response = _patch(client, token, body)
        assert response.status_code == 422, extra
        assert set(extra) <= set(response.get_json()["error"]["details"]["fields"])
    db.session.expire_all()
    user = db.session.scalar(db.select(User))
    assert (user.id, user.email, user.is_admin, user.is_active) == (user_id, "ada@example.com", False, True)


def test_change_email_notifies_the_old_address(client, accounts, jobs, fake_sendgrid):
    token = accounts.register()["access_token"]
    response = _patch(client, token, {"email": "Lovelace@Example.org", "current_password": STRONG_PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["email"] == "lovelace@example.org" and body["access_token"] is None
    assert client.get("/api/v1/account", headers=accounts.bearer(token)).status_code == 200
    assert accounts.login(email="lovelace@example.org").status_code == 200
    jobs.run()
    (notice,) = fake_sendgrid.delivered
    assert notice.to == ["ada@example.com"] and "lovelace@example.org" in notice.text


def test_change_email_to_a_taken_one_is_409(client, accounts):
    accounts.register(email="grace@example.com")
    token = accounts.register()["access_token"]
    response = _patch(client, token, {"email": "GRACE@example.com", "current_password": STRONG_PASSWORD})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "email_taken"


def test_change_password_revokes_older_tokens_and_answers_new_ones(client, accounts, jobs, fake_sendgrid):
    first = accounts.register()
    second = accounts.login().get_json()
    weak = _patch(client, first["access_token"], {"password": "short", "current_password": STRONG_PASSWORD})
    assert weak.status_code == 422
    response = _patch(client, first["access_token"],
                      {"password": NEW_PASSWORD, "current_password": STRONG_PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    for old in (first["access_token"], second["access_token"]):
        assert client.get("/api/v1/account", headers=accounts.bearer(old)).status_code == 401
    for old in (first["refresh_token"], second["refresh_token"]):
        assert client.post("/api/v1/auth/refresh", headers=accounts.bearer(old)).status_code == 401
    assert client.get("/api/v1/account", headers=accounts.bearer(body["access_token"])).status_code == 200
    assert client.post("/api/v1/auth/refresh",
                       headers=accounts.bearer(body["refresh_token"])).status_code == 200
    assert accounts.login().status_code == 401
    assert accounts.login(password=NEW_PASSWORD).status_code == 200
    jobs.run()
    (notice,) = fake_sendgrid.delivered
    assert notice.subject == "Your Waveframe password was changed"


def _history(client, headers, **params):
    return client.get("/api/v1/account/history", headers=headers, query_string=params)


def test_history_lists_own_renders_and_payments_newest_first(
        client, user_factory, render_job_factory, payment_factory, auth_headers):
    me, other = user_factory(), user_factory()
    base = utcnow() - timedelta(hours=1)
    old_job = render_job_factory(me, status=RenderStatus.COMPLETED, completed_at=base + timedelta(minutes=5),
                                 created_at=base, config={"template": "bars", "title": "First song"})
    payment = payment_factory(old_job, status=PaymentStatus.PAID, paid_at=base + timedelta(minutes=2),
                              created_at=base + timedelta(minutes=1))
    new_job = render_job_factory(me, status=RenderStatus.AWAITING_PAYMENT,
                                 created_at=base + timedelta(minutes=10))
    render_job_factory(other, created_at=base + timedelta(minutes=20))

    response = _history(client, auth_headers(me))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 3)
    assert [(i["type"], i["id"]) for i in body["items"]] == [
        ("render", str(new_job.id)), ("payment", str(payment.id)), ("render", str(old_job.id))]
    render_item, payment_item = body["items"][2], body["items"][1]
    assert set(render_item) == {"type", "id", "status", "progress", "title", "formats", "created_at",
                                "completed_at", "price_amount", "price_currency"}
    assert render_item["formats"] == [old_job.config.get("size", "1920x1080")]
    assert render_item["title"] == "First song" and render_item["status"] == "completed"
    assert set(payment_item) == {"type", "id", "render_job_id", "amount", "currency", "status",
                                 "created_at", "paid_at", "refunded_at"}
    assert payment_item["render_job_id"] == str(old_job.id) and payment_item["status"] == "paid"
    assert payment_item["amount"] == 199 and payment_item["currency"] == "usd"


def test_history_is_paginated_with_a_bounded_page_size(
        client, user_factory, render_job_factory, auth_headers):
    me = user_factory()
    base = utcnow()
    jobs_made = [render_job_factory(me, created_at=base - timedelta(minutes=i)) for i in range(5)]
    headers = auth_headers(me)
    pages = [_history(client, headers, page=p, per_page=2).get_json() for p in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert all(p["total"] == 5 for p in pages)
    assert [i["id"] for p in pages for i in p["items"]] == [str(j.id) for j in jobs_made]
    assert _history(client, headers, page=4, per_page=2).get_json()["items"] == []
    for bad in ({"per_page": 0}, {"per_page": 101}, {"page": 0}, {"type": "refund"}):
        response = _history(client, headers, **bad)
        assert response.status_code == 422, bad
    only_payments = _history(client, headers, type="payment").get_json()
    assert only_payments["items"] == [] and only_payments["total"] == 0
    assert _history(client, headers, type="render").get_json()["total"] == 5
