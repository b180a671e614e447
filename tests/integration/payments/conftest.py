"""An app with payments on, its SDK pointed at a local fake Stripe."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.integration.payments.helpers import awaiting_job, checkout, reload
from tests.support import render_media
from tests.support.fake_stripe import FakeStripe
from tests.support.stripe_webhooks import WEBHOOK_SECRET, deliver, make_event

STRIPE_TEST_KEY = "sk_test_" + "k" * 24
CLIENT_TIMEOUT_SECONDS = 1.5


@pytest.fixture(scope="session")
def fake_stripe():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _reset_fake_stripe(request):
    yield
    if "fake_stripe" in request.fixturenames:
        request.getfixturevalue("fake_stripe").reset()


@pytest.fixture(scope="session")
def make_stripe_app(make_app, app, fake_stripe):
    """Payments-on apps sharing the run's database (``app`` has migrated it)."""

    def _make(**overrides):
        settings = dict(STRIPE_SECRET_KEY=STRIPE_TEST_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                        STRIPE_API_BASE=fake_stripe.url, STRIPE_MAX_NETWORK_RETRIES=0,
                        STRIPE_TIMEOUT_SECONDS=CLIENT_TIMEOUT_SECONDS,
                        FRONTEND_URL="https://waveframe.test")
        settings.update(overrides)
        return make_app(**settings)

    return _make


@pytest.fixture(scope="session")
def stripe_app(make_stripe_app):
    return make_stripe_app()


@pytest.fixture
def pay_ctx(stripe_app, app_ctx):
    """Make the payments-on app the current one (factories then write through it)."""
    with stripe_app.app_context():
        yield stripe_app
        db.session.remove()


@pytest.fixture
def pay_client(pay_ctx):
    return pay_ctx.test_client()


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> bytes:
    """Two seconds of MP3 (a tone with a beat), generated with FFmpeg."""
    return render_media.tone(tmp_path_factory.mktemp("payments-media") / "tone.mp3", 2.0,
                             extra=("-b:a", "64k")).read_bytes()


@pytest.fixture
def pay(pay_client, fake_stripe, auth_headers):
    """Check out and pay for a job through the API and a signed webhook."""

    def _pay(job):
        response = checkout(pay_client, job, auth_headers(job.user))
        assert response.status_code == 200, response.json
        session = fake_stripe.complete_session(response.json["checkout_session_id"])
        paid = deliver(pay_client, make_event("checkout.session.completed", session))
        assert paid.json["outcome"] == "paid"
        return session

    return _pay


@pytest.fixture
def paid_job(pay, user_factory, render_job_factory):
    job = awaiting_job(render_job_factory, user_factory(), price_amount=299)
    session = pay(job)
    return reload(job), session


@pytest.fixture
def cli(stripe_app):
    runner = stripe_app.test_cli_runner()
    return lambda *args: runner.invoke(args=["payments", *args])
