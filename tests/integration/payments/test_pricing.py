"""Prices as a user meets them: ``GET /api/v1/pricing`` and the quote an upload is given.

Amounts are written out (never read back from the code under test): each resolution class
and each duration band has its own figure, and audio no band covers is refused with 422.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.adapters import get_storage
from app.extensions import db
from app.models import RenderJob
from tests.integration.payments.helpers import queued_rq_job_ids, upload
from tests.support import factories

DEFAULT_PRICES = {"currency": "usd", "bands": [
    {"max_audio_seconds": 60, "prices": {"720p": 199, "1080p": 299}},
    {"max_audio_seconds": 600, "prices": {"720p": 499, "1080p": 699}},
    {"max_audio_seconds": 3600, "prices": {"720p": 999, "1080p": 1499}},
]}
# Bands short enough for a 2-second clip to land in either, by trimming it.
SHORT_BANDS = {"currency": "EUR", "bands": [{"max_seconds": 1, "720": 110, "1080": 160},
                                            {"max_seconds": 10, "720": 220, "1080": 330}]}


def test_the_price_list_shows_each_band_and_resolution(client):
    response = client.get("/api/v1/pricing")

    assert response.status_code == 200
    assert response.json == DEFAULT_PRICES


def test_the_price_list_follows_the_configured_table(make_stripe_app):
    priced = make_stripe_app(PRICE_TABLE=SHORT_BANDS)

    response = priced.test_client().get("/api/v1/pricing")

    assert response.json == {"currency": "eur", "bands": [
        {"max_audio_seconds": 1, "prices": {"720p": 110, "1080p": 160}},
        {"max_audio_seconds": 10, "prices": {"720p": 220, "1080p": 330}},
    ]}


@pytest.fixture(scope="module")
def short_bands_app(make_stripe_app):
    return make_stripe_app(PRICE_TABLE=SHORT_BANDS)


@pytest.fixture
def priced(short_bands_app, app_ctx):
    with short_bands_app.app_context():
        yield short_bands_app
        db.session.remove()


@pytest.mark.parametrize("size, trim_end, amount", [
    ("720x1280", None, 220),     # 2 s: second band; portrait 720 (the shorter side decides)
    ("1920x1080", None, 330),
    ("1280x720", 0.8, 110),      # trimmed to 0.8 s: first band
    ("1080x1920", 1.0, 160),     # a band's bound belongs to it
])
def test_an_upload_is_quoted_for_its_size_and_trimmed_length(
        priced, auth_headers, clip, size, trim_end, amount):
    user = factories.make_user()
    config = {"template": "bars", "size": size, "fps": 24, "trim_end": trim_end}

    response = upload(priced.test_client(), auth_headers(user), clip, config)

    assert response.status_code == 201, response.json
    assert response.json["status"] == "awaiting_payment"
    assert response.json["price"] == {"amount": amount, "currency": "eur"}
    job = db.session.get(RenderJob, response.json["id"])
    assert (job.price_amount, job.price_currency) == (amount, "eur")


def test_audio_longer_than_every_band_is_refused_and_nothing_is_kept(
        make_stripe_app, app_ctx, auth_headers, clip):
    one_second_only = make_stripe_app(PRICE_TABLE={"currency": "usd", "bands": [
        {"max_seconds": 1, "720": 100, "1080": 200}]})
    with one_second_only.app_context():
        user = factories.make_user()

        response = upload(one_second_only.test_client(), auth_headers(user), clip,
                          {"template": "bars", "size": "1280x720", "fps": 24})

        assert response.status_code == 422
        error = response.json["error"]
        assert error["code"] == "invalid_field"
        assert list(error["details"]["fields"]) == ["audio"]
        assert db.session.scalar(select(func.count()).select_from(RenderJob)) == 0
        assert list(get_storage().list(f"uploads/{user.id}/")) == []
        assert queued_rq_job_ids() == []
        db.session.remove()
