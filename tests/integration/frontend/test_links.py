"""The links Waveframe sends people (reset email, Stripe return) open pages of the web app."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from urllib.parse import urlsplit

from app.config import Config
from tests.support.job_runner import JobRunner

PASSWORD = "violet-harbour-lantern-42"


def test_the_reset_email_links_to_the_reset_page_on_the_configured_port(app, client, monkeypatch):
    frontend = Config({"WAVEFRAME_PORT": "5123"}).FRONTEND_URL
    monkeypatch.setitem(app.config, "FRONTEND_URL", frontend)
    registered = client.post("/api/v1/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
    assert registered.status_code == 201
    outbox = Path(app.config["OUTBOX_DIR"])
    before = set(outbox.glob("*.eml"))
    assert client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"}).status_code == 202
    JobRunner(app).run()
    (new,) = [p for p in outbox.glob("*.eml") if p not in before]
    message = email.message_from_bytes(new.read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    link = next(word for word in body.split() if "/reset-password?" in word)
    assert link.startswith("http://127.0.0.1:5123/reset-password?token=")
    parts = urlsplit(link)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200 and 'id="reset-form"' in page.get_data(as_text=True)


def test_stripe_returns_to_the_job_page(client, render_job_factory):
    job = render_job_factory()
    for query in ("checkout=success&session_id=cs_test_1", "checkout=canceled"):
        page = client.get(f"/renders/{job.id}?{query}")
        assert page.status_code == 200 and 'id="job-state"' in page.get_data(as_text=True)
