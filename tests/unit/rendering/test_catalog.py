"""Template catalog, option schemas and render-config validation (no I/O)."""

from __future__ import annotations

import json
import math

import pytest

from app.rendering import schema
from app.rendering.catalog import (
    FPS_CHOICES,
    SIZES,
    asset_names,
    config_schema,
    list_templates,
    normalize_config,
    parse_size,
)
from app.rendering.encode import h264_codecs, timescale, webcodecs_bitrate
from app.rendering.errors import RenderConfigInvalid


def fields_of(raw, **kwargs) -> dict:
    with pytest.raises(RenderConfigInvalid) as info:
        normalize_config(raw, **kwargs)
    return info.value.fields


def test_catalog_has_four_templates_with_schemas_and_valid_defaults():
    templates = list_templates()
    assert {t["id"] for t in templates} >= {"bars", "wave", "radial", "particles"}
    json.dumps(templates)  # served as JSON by the API
    for template in templates:
        assert template["name"] and template["description"]
        opts = template["options_schema"]
        assert opts["type"] == "object" and opts["additionalProperties"] is False
        assert schema.unsupported_keywords(opts) == set()  # every keyword served is enforced
        assert set(template["defaults"]) == set(opts["properties"])
        errors: dict = {}
        schema.check(template["defaults"], opts, "config.options", errors)
        assert errors == {}
        for key in ("background_color", "background_image", "text_color", "show_progress", "logo_image"):
            assert key in opts["properties"]
    assert schema.unsupported_keywords(config_schema()) == set()


def test_normalize_fills_every_default():
    config = normalize_config({"template": "bars"})
    assert config == {
        "template": "bars",
        "size": "1920x1080",
        "fps": 30,
        "title": "",
        "artist": "",
        "trim_start": 0.0,
        "trim_end": None,
        "options": next(t["defaults"] for t in list_templates() if t["id"] == "bars"),
    }


def test_normalize_keeps_given_values_and_cleans_text():
    config = normalize_config(
        {
            "template": "radial",
            "size": "1080x1920",
            "fps": 60.0,
            "title": "  Night\n\tDrive\x00 ",
            "artist": "<b>DJ</b>",
            "options": {"ring_color": "#AABBCC", "cover_image": "cover"},
        },
        audio_duration=10.0,
        available_assets={"cover"},
    )
    assert config["fps"] == 60 and isinstance(config["fps"], int)
    assert config["title"] == "Night Drive"
    assert config["artist"] == "<b>DJ</b>"  # drawn as text, never interpreted
    assert config["trim_end"] == 10.0
    assert config["options"]["ring_color"] == "#AABBCC"
    assert asset_names(config) == {"cover_image": "cover"}


# The sizes and frame rates the API documents (README, GET /templates), written out here so
# a size or rate dropped from the catalog fails this test too.
DOCUMENTED_SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080), "720x720": (720, 720),
                    "1080x1080": (1080, 1080), "720x1280": (720, 1280), "1080x1920": (1080, 1920)}
DOCUMENTED_FPS = (24, 30, 60)


def test_the_catalog_offers_exactly_the_documented_sizes_and_rates():
    assert set(SIZES) == set(DOCUMENTED_SIZES)
    assert tuple(sorted(FPS_CHOICES)) == DOCUMENTED_FPS


@pytest.mark.parametrize("size", DOCUMENTED_SIZES)
@pytest.mark.parametrize("fps", DOCUMENTED_FPS)
def test_every_size_and_fps_is_kept_as_given(size, fps):
    config = normalize_config({"template": "wave", "size": size, "fps": fps})
    assert config["size"] == size
    assert config["fps"] == fps and type(config["fps"]) is int
    assert parse_size(config["size"]) == DOCUMENTED_SIZES[size]
    as_float = normalize_config({"template": "wave", "size": size, "fps": float(fps)})
    assert as_float["fps"] == fps and type(as_float["fps"]) is int


def test_invalid_fields_are_all_named():
    fields = fields_of(
        {
            "template": "bars",
            "size": "640x480",
            "fps": 25,
            "title": "x" * 101,
            "color": "red",
            "options": {
                "bar_color": "red",
                "bar_count": 500,
                "mirror": "yes",
                "nope": 1,
                "background_image": "http://127.0.0.1:8000/x.png",
            },
        }
    )
    assert set(fields) == {
        "config.size",
        "config.fps",
        "config.title",
        "config.color",
        "config.options.bar_color",
        "config.options.bar_count",
        "config.options.mirror",
        "config.options.nope",
        "config.options.background_image",
    }
    assert "not a URL" in fields["config.options.background_image"][0]


def test_unknown_or_missing_template():
    assert "config.template" in fields_of({"template": "nope"})
    assert "config.template" in fields_of({"size": "1280x720"})
    assert "config" in fields_of(["not", "an", "object"])


@pytest.mark.parametrize(
    ("raw", "duration", "field"),
    [
        ({"trim_start": 9.8}, 10.0, "config.trim_start"),
        ({"trim_end": 12.0}, 10.0, "config.trim_end"),
        ({"trim_start": 2.0, "trim_end": 2.1}, None, "config.trim_end"),
        ({"trim_start": -1}, None, "config.trim_start"),
        ({"trim_end": math.nan}, None, "config.trim_end"),
        ({"fps": True}, None, "config.fps"),
    ],
)
def test_trim_range_must_lie_inside_the_audio(raw, duration, field):
    assert field in fields_of({"template": "wave", **raw}, audio_duration=duration)


def test_trim_inside_audio_is_kept():
    config = normalize_config({"template": "wave", "trim_start": 1.5, "trim_end": 4}, audio_duration=10.0)
    assert (config["trim_start"], config["trim_end"]) == (1.5, 4.0)


def test_image_options_must_name_an_uploaded_asset():
    fields = fields_of(
        {"template": "bars", "options": {"background_image": "background"}}, available_assets=set()
    )
    assert "config.options.background_image" in fields
    config = normalize_config(
        {"template": "bars", "options": {"background_image": "background"}}, available_assets={"background"}
    )
    assert asset_names(config) == {"background_image": "background"}


@pytest.mark.parametrize(
    ("size", "fps", "level"),
    [
        ((1920, 1080), 30, "28"),
        ((1080, 1920), 30, "28"),
        ((1920, 1080), 60, "2A"),
        ((1280, 720), 30, "1F"),
        ((1280, 720), 60, "20"),
        ((720, 720), 24, "1F"),
    ],
)
def test_h264_codec_strings_prefer_high_profile_at_a_fitting_level(size, fps, level):
    codecs = h264_codecs(*size, fps)
    assert codecs[0] == f"avc1.6400{level}"  # High profile first
    assert codecs[1].startswith("avc1.4D00") and codecs[2].startswith("avc1.42E0")
    assert webcodecs_bitrate(*size, fps) > 0
    assert timescale(fps) % fps == 0
