"""Payments configuration: on with a key, and production refuses half a Stripe setup."""

from __future__ import annotations

import pytest

from app.config import Config, ConfigError

PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "JWT_SECRET_KEY": "j" * 40,
    "DATABASE_URL": "postgresql://waveframe@db.internal/waveframe",
    "SENDGRID_API_KEY": "SG.test",
    "STORAGE_BACKEND": "gcs",
    "GCS_BUCKET": "waveframe-videos",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
}


def test_payments_are_off_without_a_key_and_on_with_one():
    assert Config({}).payments_enabled is False
    assert Config({"STRIPE_SECRET_KEY": "sk_test_x"}).payments_enabled is True


def test_production_with_both_stripe_secrets_starts_with_payments_on():
    config = Config(PRODUCTION)

    config.validate()  # raises ConfigError where the app would refuse to start

    assert config.payments_enabled is True


def test_production_with_a_key_but_no_webhook_secret_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "STRIPE_WEBHOOK_SECRET"}

    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        Config(env).validate()


def test_production_without_a_stripe_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "STRIPE_SECRET_KEY"}

    with pytest.raises(ConfigError, match="STRIPE_SECRET_KEY"):
        Config(env).validate()
