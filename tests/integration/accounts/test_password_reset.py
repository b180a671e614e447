"""Password reset by email: request, the emailed link, confirm, and each way a token fails."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from app.extensions import db
from app.models import EmailDelivery, PasswordResetToken, User, utcnow
from tests.integration.accounts.stored_state import database_contents, redis_contents, rq_job_payloads

NEW_PASSWORD = "copper-meadow-sailing-77"
ACCEPTED = {"message": "If an account exists for this email, a link to reset its password is on its way."}


def _request_reset(client, email_address="ada@example.com"):
    response = client.post("/api/v1/auth/password-reset", json={"email": email_address})
    assert response.status_code == 202
    assert response.get_json() == ACCEPTED
    return response


def _emailed_token(fake_sendgrid, jobs, index=-1) -> str:
    jobs.run()
    sent = fake_sendgrid.delivered[index]
    link = next(line.strip() for line in sent.text.splitlines() if "reset-password?token=" in line)
    assert link.startswith("http://127.0.0.1:5000/reset-password?token=")
    return parse_qs(urlsplit(link).query)["token"][0]


def _confirm(client, token, password=NEW_PASSWORD):
    return client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": password})


def test_unknown_email_gets_the_same_answer_and_no_email(client, jobs, fake_sendgrid):
    _request_reset(client, "nobody@example.com")
    _request_reset(client, "not even an email")
    jobs.run()
    assert fake_sendgrid.requests == []
    assert db.session.scalar(db.select(db.func.count()).select_from(EmailDelivery)) == 0


def test_reset_flow_sets_the_password_and_revokes_earlier_tokens(client, accounts, jobs, fake_sendgrid):
    session = accounts.register()
    _request_reset(client, "ADA@example.com")
    token = _emailed_token(fake_sendgrid, jobs)
    (sent,) = fake_sendgrid.delivered
    assert sent.to == ["ada@example.com"] and sent.subject == "Reset your Waveframe password"
    assert token in sent.html

    assert _confirm(client, token).status_code == 204
    assert client.get("/api/v1/account", headers=accounts.bearer(session["access_token"])).status_code == 401
    assert client.post("/api/v1/auth/refresh",
                       headers=accounts.bearer(session["refresh_token"])).status_code == 401
    assert accounts.login().status_code == 401
    assert accounts.login(password=NEW_PASSWORD).status_code == 200


def test_the_reset_link_is_not_readable_in_redis_or_the_database(
        client, accounts, jobs, fake_sendgrid, redis_conn):
    accounts.register()
    fake_sendgrid.fail_next(500)  # the first attempt fails: the job also waits for a retry
    _request_reset(client)
    (delivery,) = db.session.scalars(db.select(EmailDelivery)).all()
    snapshots = [("queued", redis_contents(redis_conn), rq_job_payloads(redis_conn),
                  database_contents())]
    jobs.run()
    assert jobs.release_scheduled() == 1
    snapshots.append(("retrying", redis_contents(redis_conn), rq_job_payloads(redis_conn),
                      database_contents()))
    token = _emailed_token(fake_sendgrid, jobs)
    link = f"reset-password?token={token}"
    snapshots.append(("sent", redis_contents(redis_conn), rq_job_payloads(redis_conn),
                      database_contents()))

    for moment, stored, payloads, rows in snapshots:
        # The payloads were read: the send job's arguments (inflated) name its delivery row.
        (payload,) = [p for p in payloads.values() if b"app.mail.tasks.send_email" in p]
        assert str(delivery.id).encode() in payload, moment
        assert "ada@example.com" in rows["users"], moment
        for key, value in stored.items():
            assert token.encode() not in value and link.encode() not in value, (moment, key)
        for table, text in rows.items():
            assert token not in text, (moment, table)
    (record,) = db.session.scalars(db.select(PasswordResetToken)).all()
    assert len(record.token_hash) == 64 and record.token_hash != token
    assert timedelta(minutes=59) < record.expires_at - record.created_at <= timedelta(hours=1)


def test_token_used_twice_fails_the_second_time(client, accounts, jobs, fake_sendgrid):
    accounts.register()
    _request_reset(client)
    token = _emailed_token(fake_sendgrid, jobs)
    assert _confirm(client, token).status_code == 204
    again = _confirm(client, token, password="another-fine-passphrase")
    assert again.status_code == 400
    assert again.get_json()["error"]["code"] == "reset_token_used"
    assert accounts.login(password=NEW_PASSWORD).status_code == 200


def test_expired_token_fails(client, accounts, jobs, fake_sendgrid):
    accounts.register()
    _request_reset(client)
    token = _emailed_token(fake_sendgrid, jobs)
    record = db.session.scalar(db.select(PasswordResetToken))
    record.created_at = utcnow() - timedelta(hours=2)
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = _confirm(client, token)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "reset_token_expired"
    assert accounts.login().status_code == 200  # the password did not change


def test_tampered_token_fails(client, accounts, jobs, fake_sendgrid):
    accounts.register()
    _request_reset(client)
    token = _emailed_token(fake_sendgrid, jobs)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = _confirm(client, tampered)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "reset_token_invalid"
    assert _confirm(client, token).status_code == 204


def test_a_newer_request_invalidates_the_older_link(client, accounts, jobs, fake_sendgrid):
    accounts.register()
    _request_reset(client)
    first = _emailed_token(fake_sendgrid, jobs)
    _request_reset(client)
    second = _emailed_token(fake_sendgrid, jobs)
    assert first != second
    assert _confirm(client, first).get_json()["error"]["code"] == "reset_token_invalid"
    assert _confirm(client, second).status_code == 204


def test_new_password_must_meet_the_policy_and_the_token_survives(client, accounts, jobs, fake_sendgrid):
    accounts.register()
    _request_reset(client)
    token = _emailed_token(fake_sendgrid, jobs)
    weak = _confirm(client, token, password="password123")
    assert weak.status_code == 422 and "password" in weak.get_json()["error"]["details"]["fields"]
    assert _confirm(client, token).status_code == 204


def test_disabled_account_gets_no_reset_email(client, accounts, jobs, fake_sendgrid):
    accounts.register()
    user = db.session.scalar(db.select(User))
    user.is_active = False
    db.session.commit()
    _request_reset(client)
    jobs.run()
    assert fake_sendgrid.requests == []


def test_embedded_default_writes_the_reset_email_to_the_outbox(app, client, accounts, jobs):
    accounts.register()
    before = set(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    _request_reset(client)
    jobs.run()
    (new,) = [p for p in Path(app.config["OUTBOX_DIR"]).glob("*.eml") if p not in before]
    message = email.message_from_bytes(new.read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    token = parse_qs(urlsplit(next(w for w in body.split() if "token=" in w)).query)["token"][0]
    assert _confirm(client, token).status_code == 204


def test_queue_outage_still_answers_202_and_keeps_no_token(app, client, accounts):
    import redis

    accounts.register()
    real = app.extensions["redis"]
    app.extensions["redis"] = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        _request_reset(client)
    finally:
        app.extensions["redis"] = real
    assert db.session.scalar(db.select(db.func.count()).select_from(PasswordResetToken)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(EmailDelivery)) == 0
