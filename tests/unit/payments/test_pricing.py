"""What a render costs: the default price table, by resolution and audio length (no I/O).

Prices are written out here (not read from the table under test), so a wrong band, a wrong
resolution class or a changed default fails.
"""

from __future__ import annotations

import pytest

from app.config import DEFAULT_PRICE_TABLE
from app.errors import InvalidField
from app.renders.pricing import Quote, price_list, quote

# Resolution class of each size the API offers: the shorter side above 720 px is "1080".
SIZES_720 = ("1280x720", "720x720", "720x1280")
SIZES_1080 = ("1920x1080", "1080x1080", "1080x1920")

# (audio seconds, price of a 720 size, price of a 1080 size) in cents, for each band and edge.
BANDS = [
    (0.5, 199, 299),
    (59.9, 199, 299),
    (60.0, 199, 299),      # a band's upper bound belongs to it
    (60.001, 499, 699),
    (600.0, 499, 699),
    (600.5, 999, 1499),
    (3600.0, 999, 1499),
]


@pytest.mark.parametrize("seconds, price_720, price_1080", BANDS)
@pytest.mark.parametrize("size", SIZES_720 + SIZES_1080)
def test_each_size_and_duration_band_has_its_price(size, seconds, price_720, price_1080):
    expected = price_720 if size in SIZES_720 else price_1080

    assert quote(size, seconds, DEFAULT_PRICE_TABLE) == Quote(expected, "usd")


@pytest.mark.parametrize("seconds", [3600.001, 5000.0])
def test_audio_longer_than_every_band_has_no_price(seconds):
    with pytest.raises(InvalidField) as info:
        quote("1280x720", seconds, DEFAULT_PRICE_TABLE)

    error = info.value
    assert error.status == 422
    assert "3600" in error.message
    assert error.details["fields"] == {"audio": ["At most 3600 seconds."]}


def test_a_configured_table_is_used_and_its_currency_lower_cased():
    table = {"currency": "EUR", "bands": [{"max_seconds": 10, "720": 50, "1080": 80},
                                          {"max_seconds": 20, "720": 90, "1080": 120}]}

    assert quote("720x720", 10, table) == Quote(50, "eur")
    assert quote("1080x1920", 10, table) == Quote(80, "eur")
    assert quote("1280x720", 15, table) == Quote(90, "eur")
    assert quote("1920x1080", 20, table) == Quote(120, "eur")
    with pytest.raises(InvalidField) as info:
        quote("1920x1080", 20.5, table)
    assert info.value.details["fields"] == {"audio": ["At most 20 seconds."]}


def test_the_price_list_shows_every_band_by_resolution():
    assert price_list(DEFAULT_PRICE_TABLE) == {"currency": "usd", "bands": [
        {"max_audio_seconds": 60, "prices": {"720p": 199, "1080p": 299}},
        {"max_audio_seconds": 600, "prices": {"720p": 499, "1080p": 699}},
        {"max_audio_seconds": 3600, "prices": {"720p": 999, "1080p": 1499}},
    ]}
