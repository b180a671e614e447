"""Formats of one order in the config: normalized so one format is the plain size, and the
progress of an order running over all of its formats."""

from __future__ import annotations

import pytest

from app.rendering import catalog
from app.rendering.errors import RenderConfigInvalid
from app.rendering.pipeline import RenderProgress
from app.renders.order_outputs import OrderProgress, single_format_config
from app.renders.pricing import quote, quote_order

TABLE = {"currency": "usd", "bands": [{"max_seconds": 60, "720": 199, "1080": 299}]}


def test_formats_are_kept_in_order_and_the_first_is_the_size():
    config = catalog.normalize_config({"template": "bars", "formats": ["1080x1920", "1280x720"]})
    assert config["formats"] == ["1080x1920", "1280x720"] and config["size"] == "1080x1920"
    assert catalog.formats_of(config) == ["1080x1920", "1280x720"]
    assert single_format_config(config, "1280x720") == {**{k: v for k, v in config.items()
                                                          if k != "formats"}, "size": "1280x720"}


def test_one_format_is_the_plain_size_and_old_configs_have_their_size():
    assert catalog.normalize_config({"template": "bars", "formats": ["720x720"]}) == \
        catalog.normalize_config({"template": "bars", "size": "720x720"})
    assert catalog.formats_of({"template": "bars", "size": "1280x720"}) == ["1280x720"]


@pytest.mark.parametrize("formats", [["1920x1080", "1280x720"], ["720x720", "720x720"], ["1x1"],
                                     ["1920x1080"] * 4, []])
def test_bad_formats_name_config_formats(formats):
    with pytest.raises(RenderConfigInvalid) as raised:
        catalog.normalize_config({"template": "bars", "formats": formats})
    assert any(name.startswith("config.formats") for name in raised.value.fields)


def test_an_order_costs_the_sum_of_its_formats():
    assert quote_order(["1920x1080", "720x720", "720x1280"], 30, TABLE).amount == 299 + 199 + 199
    assert quote_order(["1280x720"], 30, TABLE) == quote("1280x720", 30, TABLE)


def test_progress_runs_over_the_whole_order():
    seen = []
    second = OrderProgress(seen.append, 1, 3, started=0.0, done_before=0)
    second(RenderProgress(50, 100, 50.0, None))
    assert seen[-1].percent == pytest.approx(50.0)  # halfway through the second of three
    last = OrderProgress(seen.append, 2, 3, started=0.0, done_before=0)
    last(RenderProgress(100, 100, 100.0, 0.0, "done"))
    assert seen[-1].percent == 99.0  # 100 only once stored and completed
