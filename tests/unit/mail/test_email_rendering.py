"""Templates and the sealed context, with a bare Flask app (no database, no Redis)."""

from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken
from flask import Flask

import app as app_package
from app.mail.rendering import check_template, render_email
from app.mail.sealing import seal_context, unseal_context


@pytest.fixture
def bare_app():
    flask_app = Flask(app_package.__name__)
    flask_app.config.update(SECRET_KEY="unit-test-secret", FRONTEND_URL="https://waveframe.example",
                            MAIL_FROM="Waveframe <no-reply@waveframe.example>")
    with flask_app.app_context():
        yield flask_app


def test_sealed_context_round_trips_and_hides_the_secret(bare_app):
    sealed = seal_context({"reset_url": "https://x/reset?token=s3cret-value"})
    assert "s3cret-value" not in sealed
    assert unseal_context(sealed) == {"reset_url": "https://x/reset?token=s3cret-value"}
    bare_app.config["SECRET_KEY"] = "another-secret"
    with pytest.raises(InvalidToken):
        unseal_context(sealed)


def test_password_reset_renders_subject_text_and_escaped_html(bare_app):
    message = render_email("password_reset", {"reset_url": "https://w/r?token=a&b=<c>",
                                              "expires_minutes": 60}, to="ada@example.com")
    assert message.subject == "Reset your Waveframe password"
    assert message.sender == "Waveframe <no-reply@waveframe.example>" and message.to == "ada@example.com"
    assert "https://w/r?token=a&b=<c>" in message.text and "60 minutes" in message.text
    assert "https://w/r?token=a&amp;b=&lt;c&gt;" in message.html
    assert "https://waveframe.example" in message.html


def test_every_template_of_this_folder_is_complete(bare_app):
    folder = Path(app_package.__file__).parent / "templates" / "email"
    names = {path.name.split(".")[0] for path in folder.iterdir()
             if path.suffix in (".txt", ".html") and not path.name.startswith("_")}
    assert {"password_reset", "password_changed", "email_changed"} <= names
    for name in sorted(names):
        for suffix in (".subject.txt", ".txt", ".html"):
            assert (folder / f"{name}{suffix}").is_file(), f"{name}{suffix}"
        check_template(name)
    with pytest.raises(ValueError, match="missing_template"):
        check_template("missing_template")


def test_account_notices_say_what_changed(bare_app):
    changed = render_email("password_changed", {}, to="ada@example.com")
    assert changed.subject == "Your Waveframe password was changed"
    assert "signed out" in changed.text and "https://waveframe.example" in changed.text
    assert "signed out" in changed.html

    moved = render_email("email_changed", {"new_email": "ada<new>@example.org"}, to="ada@example.com")
    assert moved.subject == "The email address of your Waveframe account was changed"
    assert moved.to == "ada@example.com"  # the old address is told
    assert "changed to ada<new>@example.org" in moved.text
    assert "ada&lt;new&gt;@example.org" in moved.html and "<new>" not in moved.html
