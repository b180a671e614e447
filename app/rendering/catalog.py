"""The visualizer templates, the JSON Schema of each one's options, and render-config validation.

``GET /templates`` serves :func:`list_templates`; ``POST /renders`` and the render pipeline call
:func:`normalize_config`. Images are never URLs in a config: an image option holds a symbolic
asset name (``"background"``) and the pipeline receives the file itself through ``assets``.
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from typing import Any

from app.rendering import captions
from app.rendering import schema as jsonschema
from app.rendering.errors import RenderConfigInvalid

SIZES = ("1920x1080", "1280x720", "1080x1080", "720x720", "1080x1920", "720x1280")
FPS_CHOICES = (24, 30, 60)
DEFAULT_SIZE = "1920x1080"
DEFAULT_FPS = 30
MAX_TEXT = 100
MIN_DURATION = 0.5  # seconds of (trimmed) audio
MAX_FORMATS = 3  # formats of one order: at most one per aspect
ASSET_PATTERN = r"[a-z][a-z0-9_-]{0,39}"


def _color(default: str, title: str) -> dict:
    return {
        "type": "string",
        "pattern": r"#[0-9a-fA-F]{6}",
        "x-pattern-message": "Must be a colour like #1a2b3c.",
        "format": "color",
        "title": title,
        "default": default,
    }


def _asset(title: str, description: str) -> dict:
    return {
        "type": ["string", "null"],
        "pattern": ASSET_PATTERN,
        "x-asset": True,
        "x-pattern-message": 'Must name an uploaded image (e.g. "background"), not a URL.',
        "title": title,
        "description": description,
        "default": None,
    }


def _number(default: float, lo: float, hi: float, title: str, integer: bool = False) -> dict:
    return {
        "type": "integer" if integer else "number",
        "minimum": lo,
        "maximum": hi,
        "title": title,
        "default": default,
    }


def _bool(default: bool, title: str) -> dict:
    return {"type": "boolean", "title": title, "default": default}


def _enum(default: str, values: list[str], title: str) -> dict:
    return {"type": "string", "enum": values, "title": title, "default": default}


def _common(bg: str, bg2: str, accent: str, text_position: str) -> dict[str, dict]:
    return {
        "background_color": _color(bg, "Background colour"),
        "background_color_2": _color(bg2, "Background gradient colour"),
        "background_image": _asset("Background image", "Uploaded image, scaled to cover the frame."),
        "background_blur": _number(12, 0, 40, "Background blur (px at 1080p)", integer=True),
        "background_dim": _number(0.45, 0.0, 0.9, "Background dimming"),
        "text_color": _color("#ffffff", "Text colour"),
        "font": _enum("sans", ["sans", "serif", "mono"], "Font"),
        "text_position": _enum(text_position, ["top", "bottom"], "Title position"),
        "show_progress": _bool(True, "Show progress bar"),
        "progress_color": _color(accent, "Progress bar colour"),
        "logo_image": _asset("Logo", "Uploaded image drawn small in a corner."),
        "logo_position": _enum(
            "top-right", ["top-left", "top-right", "bottom-left", "bottom-right"], "Logo position"
        ),
        "sensitivity": _number(1.0, 0.5, 2.0, "Sensitivity"),
    }


_TEMPLATES: list[dict[str, Any]] = [
    {
        "id": "bars",
        "name": "Mirrored bars",
        "description": "A spectrum of rounded bars mirrored around the centre line, with a soft reflection.",
        "options": {
            **_common("#0b1020", "#1d1038", "#5ee7ff", "bottom"),
            "bar_color": _color("#5ee7ff", "Bar colour"),
            "bar_color_2": _color("#b16cff", "Bar tip colour"),
            "bar_count": _number(64, 16, 128, "Number of bars", integer=True),
            "bar_gap": _number(0.3, 0.0, 0.8, "Gap between bars"),
            "mirror": _bool(True, "Mirror around the centre"),
            "rounded": _bool(True, "Rounded bars"),
        },
    },
    {
        "id": "wave",
        "name": "Oscilloscope",
        "description": "The waveform itself, drawn as a glowing line across the frame.",
        "options": {
            **_common("#050a0a", "#0a1f1c", "#7cffc4", "bottom"),
            "line_color": _color("#7cffc4", "Line colour"),
            "line_width": _number(4, 1, 12, "Line width (px at 1080p)"),
            "glow": _bool(True, "Glow"),
            "fill": _bool(False, "Fill the envelope"),
        },
    },
    {
        "id": "radial",
        "name": "Radial spectrum",
        "description": "Spectrum bars radiating around a round cover image that pulses with the beat.",
        "options": {
            **_common("#120818", "#2a0c24", "#ff5fa2", "bottom"),
            "ring_color": _color("#ff5fa2", "Ring colour"),
            "ring_color_2": _color("#ffd36e", "Ring tip colour"),
            "cover_image": _asset("Cover image", "Uploaded image shown in the centre circle."),
            "bar_count": _number(120, 32, 180, "Number of bars", integer=True),
            "spin": _bool(True, "Slowly rotate"),
        },
    },
    {
        "id": "particles",
        "name": "Particle field",
        "description": "Glowing particles streaming out of a pulsing core; louder music moves them faster.",
        "options": {
            **_common("#03040c", "#0d1330", "#9ad8ff", "top"),
            "particle_color": _color("#9ad8ff", "Particle colour"),
            "accent_color": _color("#ff7ad9", "Core colour"),
            "density": _number(260, 50, 600, "Number of particles", integer=True),
            "speed": _number(1.0, 0.25, 3.0, "Speed"),
        },
    },
]
_BY_ID = {t["id"]: t for t in _TEMPLATES}


def template_ids() -> list[str]:
    return [t["id"] for t in _TEMPLATES]


def options_schema(template_id: str) -> dict:
    template = _BY_ID[template_id]
    return {"type": "object", "additionalProperties": False, "properties": copy.deepcopy(template["options"])}


def defaults(template_id: str) -> dict:
    return {key: spec["default"] for key, spec in _BY_ID[template_id]["options"].items()}


def list_templates() -> list[dict]:
    return [
        {
            "id": t["id"],
            "name": t["name"],
            "description": t["description"],
            "options_schema": options_schema(t["id"]),
            "defaults": defaults(t["id"]),
        }
        for t in _TEMPLATES
    ]


def config_schema() -> dict:
    """JSON Schema of the whole render config (options are checked per template)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["template"],
        "properties": {
            "template": {"type": "string", "enum": template_ids(), "title": "Template"},
            "size": {"type": "string", "enum": list(SIZES), "default": DEFAULT_SIZE, "title": "Size (WxH)"},
            "formats": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_FORMATS,
                "items": {"type": "string", "enum": list(SIZES)},
                "title": "Formats",
                "description": "Several sizes rendered from one order (one payment, the audio analysed "
                "once), at most one per aspect (16:9, 1:1, 9:16); the first is also 'size'. Leave "
                "out for one video of 'size'.",
            },
            "fps": {
                "type": "integer",
                "enum": list(FPS_CHOICES),
                "default": DEFAULT_FPS,
                "title": "Frames per second",
            },
            "title": {"type": "string", "maxLength": MAX_TEXT, "default": "", "title": "Title"},
            "artist": {"type": "string", "maxLength": MAX_TEXT, "default": "", "title": "Artist"},
            "trim_start": {"type": "number", "minimum": 0, "default": 0, "title": "Start (s)"},
            "trim_end": {"type": ["number", "null"], "minimum": 0, "default": None, "title": "End (s)"},
            "options": {"type": "object", "title": "Template options"},
            "captions": captions.style_schema(),
        },
    }


def parse_size(size: str) -> tuple[int, int]:
    width, height = size.split("x")
    return int(width), int(height)


def aspect_of(size: str) -> str:
    """``"1920x1080"`` -> ``"16:9"``."""
    width, height = parse_size(size)
    divisor = math.gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


def formats_of(config: dict) -> list[str]:
    """The sizes a (normalized) config renders, the first being ``size``: configs of one
    format (and configs stored before orders had formats) carry ``size`` only."""
    return list(config.get("formats") or [config.get("size", DEFAULT_SIZE)])


def _check_formats(raw: dict, errors: dict[str, list[str]]) -> list[str] | None:
    """Aspects and duplicates (the schema checked types, sizes and the count)."""
    formats = raw.get("formats")
    if formats is None or any(k.startswith("config.formats") for k in errors):
        return None
    seen: dict[str, str] = {}
    for index, size in enumerate(formats):
        aspect = aspect_of(size)
        if size in formats[:index]:
            errors.setdefault("config.formats", []).append(f"{size} is listed twice.")
        elif aspect in seen:
            errors.setdefault("config.formats", []).append(
                f"At most one size per aspect: {seen[aspect]} and {size} are both {aspect}.")
        seen.setdefault(aspect, size)
    if "size" in raw and formats and raw["size"] != formats[0]:
        errors.setdefault("config.size", []).append(
            "Must be the first of config.formats (or left out when formats are given).")
    return list(formats)


def asset_names(config: dict) -> dict[str, str]:
    """``{option: asset name}`` for every image option a (normalized) config uses."""
    template = _BY_ID.get(config.get("template"), {"options": {}})
    return {
        key: value
        for key, value in (config.get("options") or {}).items()
        if template["options"].get(key, {}).get("x-asset") and value
    }


def _clean_text(value: str) -> str:
    # drop control characters (newlines become spaces), collapse runs of whitespace
    value = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in value)
    return re.sub(r"\s+", " ", value).strip()


def normalize_config(
    raw: dict, *, audio_duration: float | None = None, available_assets: set[str] | None = None
) -> dict:
    """Validate ``raw`` and return the full config with every default filled in.

    Raises :class:`RenderConfigInvalid` naming every bad field, e.g.
    ``config.fps`` or ``config.options.bar_color``. With ``audio_duration`` the trim range must
    lie inside the audio and ``trim_end`` is filled in; with ``available_assets`` every image
    option must name one of them.
    """
    if not isinstance(raw, dict):
        raise RenderConfigInvalid(
            "The render configuration must be a JSON object.", fields={"config": ["Must be an object."]}
        )
    errors: dict[str, list[str]] = {}
    raw = dict(raw)
    if isinstance(raw.get("fps"), float) and raw["fps"].is_integer():
        raw["fps"] = int(raw["fps"])
    jsonschema.check(raw, config_schema(), "config", errors)
    template_id = raw.get("template")
    if not isinstance(template_id, str) or template_id not in _BY_ID:  # a list/object: not a key
        raise RenderConfigInvalid(fields=errors)

    options_raw = raw.get("options") or {}
    if isinstance(options_raw, dict):
        jsonschema.check(options_raw, options_schema(template_id), "config.options", errors)
        for key, value in options_raw.items():
            spec = _BY_ID[template_id]["options"].get(key, {})
            if (
                spec.get("x-asset")
                and isinstance(value, str)
                and available_assets is not None
                and value not in available_assets
            ):
                errors.setdefault(f"config.options.{key}", []).append(f'No uploaded image named "{value}".')

    trim_start = raw.get("trim_start", 0)
    trim_end = raw.get("trim_end")
    if _is_number(trim_start) and _is_number(trim_end) and trim_end - trim_start < MIN_DURATION:
        errors.setdefault("config.trim_end", []).append(
            f"Must be at least {MIN_DURATION} s after trim_start."
        )
    if audio_duration is not None and _is_number(trim_start):
        if trim_start > audio_duration - MIN_DURATION:
            errors.setdefault("config.trim_start", []).append(
                f"Must be at most {max(audio_duration - MIN_DURATION, 0):.3f} s "
                f"(the audio is {audio_duration:.3f} s long)."
            )
        if _is_number(trim_end) and trim_end > audio_duration + 1e-3:
            errors.setdefault("config.trim_end", []).append(
                f"Must not be past the end of the audio ({audio_duration:.3f} s)."
            )
    formats = _check_formats(raw, errors)
    caption_config = None
    if isinstance(raw.get("captions"), dict) and not any(k.startswith("config.captions") for k in errors):
        caption_config = captions.normalize(raw["captions"], errors, audio_duration=audio_duration)
    if errors:
        raise RenderConfigInvalid(fields=errors)

    if trim_end is None and audio_duration is not None:
        trim_end = float(audio_duration)
    elif trim_end is not None and audio_duration is not None:
        trim_end = min(float(trim_end), float(audio_duration))
    size = formats[0] if formats else raw.get("size", DEFAULT_SIZE)
    return {
        "template": template_id,
        "size": size,
        # one format is the plain ``size`` (so {formats: [X]} and {size: X} are the same render)
        **({"formats": formats} if formats and len(formats) > 1 else {}),
        "fps": int(raw.get("fps", DEFAULT_FPS)),
        "title": _clean_text(raw.get("title", "")),
        "artist": _clean_text(raw.get("artist", "")),
        "trim_start": float(trim_start),
        "trim_end": None if trim_end is None else float(trim_end),
        "options": {**defaults(template_id), **options_raw},
        **({"captions": caption_config} if caption_config else {}),
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
