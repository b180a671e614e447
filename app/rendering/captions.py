"""Timed captions: SRT and WebVTT files read into cues, cues checked against the audio.

A cue is ``{"start": s, "end": s, "text": str}`` with times in seconds of the uploaded audio
(before any trim). The text is plain: WebVTT and SRT markup (``<c.x>``, ``<v Name>``, ``<i>``,
inline timestamps, ``{\\an8}``) is removed and entities are decoded, so a caption is always drawn
as the characters it contains and never interpreted as markup. Frame ``i`` of a render shows a
cue when ``start <= trim_start + i / fps < end`` (a cue from 2.0 s to 4.0 s at 30 fps shows on
frames 60-119); :func:`frame_range` is the one formula, mirrored by the visualizer.
"""

from __future__ import annotations

import codecs
import html
import math
import re
from dataclasses import dataclass

from app.rendering.errors import RenderConfigInvalid

MAX_CAPTION_BYTES = 512 * 1024
MAX_CUES = 5000
MAX_CUE_CHARS = 300
POSITIONS = ("bottom", "middle", "top")
SIZES = ("small", "medium", "large")
DEFAULT_STYLE = {"position": "bottom", "size": "medium", "color": "#ffffff", "background": True}

_SRT_TIME = r"(\d{1,3}):([0-5]\d):([0-5]\d)[,.](\d{3})"
_VTT_TIME = r"(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_TIMING = re.compile(rf"^\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}(?:\s+.*)?$")
_VTT_TIMING = re.compile(rf"^\s*{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+.*)?$")
_LOOKS_TIMED = re.compile(r"^\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d")  # a (mistyped) timing line
_TAG = re.compile(r"<[^>\n]*>")
_ASS_OVERRIDE = re.compile(r"\{\\[^}\n]*\}")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}


class CaptionsInvalid(RenderConfigInvalid):
    """A caption file or cue list that cannot be used; names the line (files) or the cue."""

    code = "invalid_captions"

    def __init__(self, message: str, *, line: int | None = None, field: str = "captions"):
        where = f"Line {line}: " if line is not None else ""
        super().__init__(f"The captions cannot be used. {where}{message}",
                         fields={field: [f"{where}{message}"]},
                         details={"line": line} if line is not None else None)
        self.line = line


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def clean_text(raw: str) -> str:
    """Cue payload as plain text: markup removed, entities decoded, whitespace tidied per line."""
    text = _ASS_OVERRIDE.sub("", _TAG.sub("", raw))
    text = html.unescape(text).replace("\u200e", "").replace("\u200f", "").replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", "".join(ch for ch in line if ch.isprintable())).strip()
             for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def decode(data: bytes) -> str:
    """UTF-8 (a BOM allowed) or UTF-16 with its BOM; anything else names the first bad line."""
    if len(data) > MAX_CAPTION_BYTES:
        raise CaptionsInvalid(f"The file is larger than {MAX_CAPTION_BYTES // 1024} KB.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CaptionsInvalid("The file is not valid UTF-16 text.") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CaptionsInvalid("The file must be UTF-8 text.", line=line) from exc


def _blocks(text: str):
    """(first line number, lines) of each block separated by blank lines."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if line.strip():
            if not block:
                first = number
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _cue(start: float, end: float, payload: list[str], line: int) -> Cue:
    if end <= start:
        raise CaptionsInvalid("The cue ends before it starts.", line=line)
    text = clean_text("\n".join(payload))
    if not text:
        raise CaptionsInvalid("The cue has no text.", line=line)
    if len(text) > MAX_CUE_CHARS:
        raise CaptionsInvalid(f"The cue is longer than {MAX_CUE_CHARS} characters.", line=line)
    return Cue(round(start, 3), round(end, 3), text)


def _timed_cue(lines: list[str], line: int, timing_line: re.Pattern, example: str) -> Cue:
    """A cue from its timing line (``line`` is its number) and the payload lines after it."""
    timing = timing_line.match(lines[0])
    if not timing:
        raise CaptionsInvalid(f'Expected cue times such as "{example}".', line=line)
    g = timing.groups()
    return _cue(_seconds(*g[:4]), _seconds(*g[4:]), lines[1:], line)


def _some(cues: list[Cue]) -> list[Cue]:
    if not cues:
        raise CaptionsInvalid("The file has no cues.")
    return cues


def parse_srt(text: str) -> list[Cue]:
    cues = []
    for first, block in _blocks(text):
        lines, line = block, first
        if lines[0].strip().isdigit():  # the cue's sequence number
            lines, line = lines[1:], first + 1
        if not lines:
            raise CaptionsInvalid("A cue number is not followed by its times.", line=first)
        cues.append(_timed_cue(lines, line, _SRT_TIMING, "00:00:01,000 --> 00:00:04,000"))
        _check_count(cues, line)
    return _some(cues)


def parse_vtt(text: str) -> list[Cue]:
    blocks = list(_blocks(text.lstrip("\ufeff")))
    if not blocks or not re.match(r"^WEBVTT(?:[ \t].*)?$", blocks[0][1][0]):
        raise CaptionsInvalid('A WebVTT file starts with "WEBVTT".', line=1)
    header_first, header = blocks[0]
    cues = []
    rest = blocks[1:]
    if any("-->" in line for line in header[1:]):  # a cue right after the header line, no blank
        raise CaptionsInvalid("Leave a blank line after the WEBVTT header.", line=header_first + 1)
    for first, block in rest:
        head = block[0].strip()
        if head.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in head:
            continue
        lines, line = block, first
        if "-->" not in lines[0] and not _LOOKS_TIMED.match(lines[0]):  # the cue's identifier
            lines, line = lines[1:], first + 1
        if not lines:
            raise CaptionsInvalid("A cue identifier is not followed by its times.", line=first)
        cues.append(_timed_cue(lines, line, _VTT_TIMING, "00:01.000 --> 00:04.000"))
        _check_count(cues, line)
    return _some(cues)


def _check_count(cues: list[Cue], line: int) -> None:
    if len(cues) > MAX_CUES:
        raise CaptionsInvalid(f"The file has more than {MAX_CUES} cues.", line=line)


def parse_caption_file(data: bytes) -> list[Cue]:
    """Cues of an SRT or WebVTT file, told apart by content (WebVTT starts with "WEBVTT")."""
    text = decode(data)
    if text.lstrip("\ufeff").startswith("WEBVTT"):
        return parse_vtt(text)
    return parse_srt(text)


def check_within(cues: list[Cue], audio_duration: float, *, field: str = "captions") -> None:
    """Every cue must lie inside the audio (1 ms of rounding allowed)."""
    for index, cue in enumerate(cues):
        if cue.end > audio_duration + 1e-3:
            raise CaptionsInvalid(
                f"Cue {index + 1} ({cue.start:.3f}-{cue.end:.3f} s) ends after the audio "
                f"({audio_duration:.3f} s).",
                field=field)


def frame_range(cue: dict | Cue, fps: int, trim_start: float = 0.0) -> tuple[int, int]:
    """First and one-past-last frame of the render that show ``cue`` (may be empty)."""
    start = cue.start if isinstance(cue, Cue) else cue["start"]
    end = cue.end if isinstance(cue, Cue) else cue["end"]
    first = math.ceil(round((start - trim_start) * fps, 6))
    stop = math.ceil(round((end - trim_start) * fps, 6))
    return max(first, 0), max(stop, 0)


def style_schema() -> dict:
    """JSON Schema of ``config.captions`` (the cues and how they are drawn)."""
    number = {"type": "number", "minimum": 0}
    return {
        "type": "object",
        "additionalProperties": False,
        "title": "Captions",
        "description": "Timed captions drawn on the video; or upload an SRT/WebVTT file as the "
                       "'captions' part of POST /renders.",
        "properties": {
            "cues": {
                "type": "array",
                "maxItems": MAX_CUES,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["start", "end", "text"],
                    "properties": {
                        "start": {**number, "title": "Start (s of the audio)"},
                        "end": {**number, "title": "End (s of the audio)"},
                        "text": {"type": "string", "minLength": 1, "maxLength": MAX_CUE_CHARS},
                    },
                },
            },
            "position": {"type": "string", "enum": list(POSITIONS), "default": DEFAULT_STYLE["position"]},
            "size": {"type": "string", "enum": list(SIZES), "default": DEFAULT_STYLE["size"]},
            "color": {"type": "string", "pattern": "#[0-9a-fA-F]{6}", "default": DEFAULT_STYLE["color"],
                      "format": "color"},
            "background": {"type": "boolean", "default": DEFAULT_STYLE["background"],
                           "title": "Box behind the text"},
        },
    }


def normalize(raw: dict | None, errors: dict[str, list[str]], *, audio_duration: float | None) -> dict | None:
    """``config.captions`` with defaults filled and cues cleaned and sorted; problems go to ``errors``.

    The JSON Schema checker has already checked types and bounds; this adds what a schema cannot
    say: each cue ends after it starts, has text once markup is removed, and lies in the audio.
    """
    if not raw:
        return None
    cues = []
    for index, item in enumerate(raw.get("cues") or []):
        path = f"config.captions.cues[{index}]"
        start, end, text = item.get("start"), item.get("end"), item.get("text")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (start, end)):
            continue  # the schema checker reported it
        if not isinstance(text, str):
            continue
        if end <= start:
            errors.setdefault(f"{path}.end", []).append("Must be after start.")
            continue
        if audio_duration is not None and end > audio_duration + 1e-3:
            errors.setdefault(f"{path}.end", []).append(
                f"Must not be past the end of the audio ({audio_duration:.3f} s).")
            continue
        clean = clean_text(text)
        if not clean:
            errors.setdefault(f"{path}.text", []).append("Must contain text, not only markup.")
            continue
        cues.append({"start": round(float(start), 3), "end": round(float(end), 3), "text": clean})
    if not cues:
        if "cues" in raw and not errors:
            return None
        if "cues" not in raw:
            errors.setdefault("config.captions.cues", []).append("This field is required.")
        return None
    cues.sort(key=lambda c: (c["start"], c["end"]))
    style = {key: raw.get(key, default) for key, default in DEFAULT_STYLE.items()}
    return {**style, "cues": cues}
