import pytest

from app.config import DEV_JWT_SECRET, DEV_SECRET, INSTANCE_DIR, Config, ConfigError

STRONG = "x" * 40

PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": STRONG,
    "JWT_SECRET_KEY": "y" * 40,
    "DATABASE_URL": "postgres://u:p@db.internal:5432/waveframe",
    "STRIPE_SECRET_KEY": "sk_test_abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_abc",
    "SENDGRID_API_KEY": "SG.abc",
    "GCS_BUCKET": "waveframe-videos",
    "STORAGE_BACKEND": "gcs",
}


def test_embedded_defaults_need_no_variable():
    config = Config({})
    config.validate()
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{INSTANCE_DIR / 'waveframe.db'}"
    assert config.STORAGE_BACKEND == "local"
    assert config.STORAGE_LOCAL_ROOT == str(INSTANCE_DIR / "storage")
    assert config.OUTBOX_DIR == str(INSTANCE_DIR / "outbox")
    assert config.REDIS_URL == "redis://127.0.0.1:6379/0"
    assert config.payments_enabled is False
    assert config.MAX_UPLOAD_MB == 200 and config.MAX_AUDIO_SECONDS == 3600
    assert config.DOWNLOAD_LINK_TTL == 86400 and config.VIDEO_RETENTION_DAYS == 7


def test_complete_production_config_is_accepted_and_normalises_postgres_url():
    config = Config(PRODUCTION)
    config.validate()
    assert config.SQLALCHEMY_DATABASE_URI.startswith("postgresql://")
    assert config.payments_enabled is True
    assert config.FORCE_HTTPS is True


@pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL", "STRIPE_SECRET_KEY",
                                  "STRIPE_WEBHOOK_SECRET", "SENDGRID_API_KEY", "GCS_BUCKET"])
def test_production_refuses_a_missing_secret_and_names_it(name):
    env = {k: v for k, v in PRODUCTION.items() if k != name}
    with pytest.raises(ConfigError, match=name):
        Config(env).validate()


@pytest.mark.parametrize(("name", "default"), [("SECRET_KEY", DEV_SECRET),
                                               ("JWT_SECRET_KEY", DEV_JWT_SECRET)])
def test_production_refuses_a_secret_left_at_its_default(name, default):
    with pytest.raises(ConfigError, match=name):
        Config({**PRODUCTION, name: default}).validate()


def test_production_refuses_short_secrets_and_local_storage():
    with pytest.raises(ConfigError, match="SECRET_KEY must be at least 32"):
        Config({**PRODUCTION, "SECRET_KEY": "short"}).validate()
    with pytest.raises(ConfigError, match="STORAGE_BACKEND must be gcs"):
        Config({**PRODUCTION, "STORAGE_BACKEND": "local"}).validate()


def test_bad_values_are_refused_with_the_variable_named():
    with pytest.raises(ConfigError, match="MAX_UPLOAD_MB"):
        Config({"MAX_UPLOAD_MB": "lots"})
    with pytest.raises(ConfigError, match="APP_ENV"):
        Config({"APP_ENV": "staging"}).validate()
    with pytest.raises(ConfigError, match="GCS_BUCKET"):
        Config({"STORAGE_BACKEND": "gcs"}).validate()


def test_create_app_refuses_to_start_in_production_without_secrets(monkeypatch):
    from app import create_app
    for key in PRODUCTION:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_accepts_no_metrics_token_but_refuses_a_short_one():
    Config({k: v for k, v in PRODUCTION.items() if k != "METRICS_TOKEN"}).validate()  # /metrics off
    Config({**PRODUCTION, "METRICS_TOKEN": "t" * 32}).validate()
    with pytest.raises(ConfigError, match="METRICS_TOKEN must be at least 32"):
        Config({**PRODUCTION, "METRICS_TOKEN": "short-token"}).validate()
