"""The account rules on in-memory twins: registration, login, changes with their security
notices, and a password reset from request to new password (the email run by the recorded
queue through a recording mailer)."""

from __future__ import annotations

import re

import pytest
from flask_jwt_extended import decode_token

from app.accounts import password_reset, service
from app.errors import Conflict, Forbidden, InvalidField, Unauthorized
from app.extensions import db
from app.mail.tasks import send_email
from app.models import EmailDelivery, User

PASSWORD = "violet-harbour-lantern-42"
NEW_PASSWORD = "copper-meadow-kettle-77"


def _deliver_all(twins) -> list:
    for job in twins.dispatcher.of_task(send_email):
        twins.dispatcher.run(job.id)
    return twins.mailer.sent


def test_register_then_login_and_the_same_email_twice_is_a_conflict(unit):
    _app, _twins = unit
    session = service.register("  Ada@Example.com ", PASSWORD)
    assert session.user.email == "ada@example.com" and session.access_token and session.refresh_token
    with pytest.raises(Conflict) as taken:
        service.register("ada@example.com", PASSWORD)
    assert taken.value.code == "email_taken" and taken.value.details["fields"]["email"]
    assert service.login("ADA@example.com", PASSWORD).user.id == session.user.id


def test_login_refuses_a_wrong_password_an_unknown_email_alike_and_a_disabled_account(unit):
    service.register("ada@example.com", PASSWORD)
    for email, password in [("ada@example.com", "wrong-password-123"), ("nobody@example.com", PASSWORD)]:
        with pytest.raises(Unauthorized) as refused:
            service.login(email, password)
        assert refused.value.code == "invalid_credentials"
    service.set_user_active("ada@example.com", False)
    with pytest.raises(Forbidden):
        service.login("ada@example.com", PASSWORD)


def test_a_password_change_revokes_older_tokens_and_tells_the_owner(unit):
    _app, twins = unit
    first = service.register("ada@example.com", PASSWORD)
    user = first.user
    with pytest.raises(InvalidField) as wrong:
        service.update_account(user, current_password="not-the-password", password=NEW_PASSWORD)
    assert wrong.value.code == "current_password_incorrect"

    result = service.update_account(user, current_password=PASSWORD, password=NEW_PASSWORD,
                                    email="grace@example.com")
    assert result.tokens is not None
    moment = user.tokens_valid_after
    valid_after = int(moment.replace(microsecond=0).timestamp()) * 1_000_000 + moment.microsecond
    assert decode_token(first.access_token)["iat_us"] < valid_after  # older logins: refused
    assert decode_token(result.tokens.access_token)["iat_us"] >= valid_after
    sent = {(m.to, m.subject) for m in _deliver_all(twins)}
    assert sent == {("ada@example.com", "The email address of your Waveframe account was changed"),
                    ("grace@example.com", "Your Waveframe password was changed")}
    assert service.login("grace@example.com", NEW_PASSWORD).user.id == user.id


def test_a_password_reset_from_the_emailed_link_to_the_new_password(unit):
    _app, twins = unit
    service.register("ada@example.com", PASSWORD)
    password_reset.request_password_reset("nobody@example.com")  # same answer, nothing sent
    password_reset.request_password_reset("ADA@example.com")
    (message,) = _deliver_all(twins)
    assert message.to == "ada@example.com"
    token = re.search(r"reset-password\?token=([\w-]+)", message.text).group(1)
    assert message.text.count("https://waveframe.example/reset-password?token=") == 1

    password_reset.confirm_password_reset(token, NEW_PASSWORD)
    assert service.login("ada@example.com", NEW_PASSWORD)
    with pytest.raises(password_reset.ResetTokenError) as used:
        password_reset.confirm_password_reset(token, "another-long-password-9")
    assert used.value.code == "reset_token_used"
    kinds = [d.kind for d in db.session.scalars(db.select(EmailDelivery))]
    assert kinds == ["password_reset"]


def test_create_admin_promotes_an_existing_account(unit):
    service.register("ada@example.com", PASSWORD)
    user, created = service.create_admin("ada@example.com", NEW_PASSWORD)
    assert not created and user.is_admin and db.session.get(User, user.id).is_admin
