"""Links in emails and Stripe return URLs follow the port `make run` serves on."""

from app.config import Config


def test_the_default_frontend_url_follows_waveframe_port():
    assert Config({}).FRONTEND_URL == "http://127.0.0.1:5000"
    assert Config({"WAVEFRAME_PORT": "5123"}).FRONTEND_URL == "http://127.0.0.1:5123"


def test_an_explicit_frontend_url_wins_and_an_empty_one_means_unset():
    explicit = Config({"WAVEFRAME_PORT": "5123", "FRONTEND_URL": "https://waveframe.example/"})
    assert explicit.FRONTEND_URL == "https://waveframe.example"
    assert Config({"WAVEFRAME_PORT": "5123", "FRONTEND_URL": ""}).FRONTEND_URL == "http://127.0.0.1:5123"
