"""Caption files and cues: what is read, what is refused (with its line), which frames show a cue."""

from __future__ import annotations

import pytest

from app.rendering import captions
from app.rendering.captions import CaptionsInvalid, Cue, frame_range, parse_caption_file
from app.rendering.catalog import normalize_config
from app.rendering.errors import RenderConfigInvalid

SRT = """1
00:00:01,000 --> 00:00:02,500
Hello <i>there</i>

2
00:00:02,500 --> 00:00:04,000
Two lines,
second &amp; last
"""

VTT = """WEBVTT - a title

NOTE a comment
that spans lines

intro
00:01.000 --> 00:02.500 align:start position:10%
<v Sam>Hello</v> <c.yellow>there</c> <00:01.500>friend

00:00:02.500 --> 00:00:04.000
<b>&lt;script&gt;</b> stays text
"""


def test_srt_cues_are_read_with_markup_removed():
    assert parse_caption_file(SRT.encode()) == [
        Cue(1.0, 2.5, "Hello there"),
        Cue(2.5, 4.0, "Two lines,\nsecond & last"),
    ]


def test_webvtt_voice_and_class_tags_are_text_never_markup():
    cues = parse_caption_file(("\ufeff" + VTT).encode())
    assert cues == [Cue(1.0, 2.5, "Hello there friend"), Cue(2.5, 4.0, "<script> stays text")]


def test_crlf_bom_and_utf16_files_are_read():
    assert parse_caption_file(b"\xef\xbb\xbf" + SRT.replace("\n", "\r\n").encode())[0].text == "Hello there"
    assert parse_caption_file(SRT.encode("utf-16"))[1].end == 4.0


@pytest.mark.parametrize(("text", "line"), [
    ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03 --> 00:00:04,000\nbad time\n", 6),
    ("1\n00:00:05,000 --> 00:00:04,000\nbackwards\n", 2),
    ("1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n", 2),
    ("1\n\n", 1),
    ("WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:03.000 -> 00:04.000\nbad arrow\n", 6),
    ("WEBVT\n\n00:01.000 --> 00:02.000\nx\n", 1),
    ("WEBVTT\n00:01.000 --> 00:02.000\nno blank line\n", 2),
    ("WEBVTT\n\n00:61.000 --> 00:62.000\nseconds over 59\n", 3),
])
def test_malformed_files_name_the_line(text, line):
    with pytest.raises(CaptionsInvalid) as info:
        parse_caption_file(text.encode())
    assert info.value.line == line
    assert info.value.fields["captions"][0].startswith(f"Line {line}: ")
    assert info.value.details == {"line": line}


def test_text_that_is_not_utf8_names_its_line():
    data = SRT.encode().replace(b"Two lines", b"Two l\xe9nes")
    with pytest.raises(CaptionsInvalid) as info:
        parse_caption_file(data)
    assert info.value.line == 7 and "UTF-8" in info.value.message


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(CaptionsInvalid, match="larger than"):
        parse_caption_file(b"1\n" + b"x" * captions.MAX_CAPTION_BYTES)


def test_cues_past_the_audio_are_refused():
    cues = parse_caption_file(SRT.encode())
    captions.check_within(cues, 4.0)
    with pytest.raises(CaptionsInvalid, match="ends after the audio"):
        captions.check_within(cues, 3.9)


@pytest.mark.parametrize(("start", "end", "fps", "trim", "frames"), [
    (2.0, 4.0, 30, 0.0, (60, 120)),  # the example: frames 60-119
    (0.1, 0.2, 30, 0.0, (3, 6)),  # 0.1 * 30 is 3.0000000000000004 in floating point
    (2.0, 4.0, 30, 1.5, (15, 75)),  # times are of the audio; the render starts at the trim
    (0.5, 1.0, 24, 2.0, (0, 0)),  # before the trim: never shown
    (1.01, 1.02, 60, 0.0, (61, 62)),
])
def test_frame_range_is_exact(start, end, fps, trim, frames):
    assert frame_range({"start": start, "end": end}, fps, trim) == frames


def test_config_cues_are_cleaned_sorted_and_styled_by_default():
    config = normalize_config({"template": "bars", "captions": {"cues": [
        {"start": 3, "end": 4, "text": "<v Ann>later</v>"}, {"start": 0.5, "end": 1, "text": "first"}]}},
        audio_duration=5.0)
    assert config["captions"] == {"position": "bottom", "size": "medium", "color": "#ffffff",
                                  "background": True,
                                  "cues": [{"start": 0.5, "end": 1.0, "text": "first"},
                                           {"start": 3.0, "end": 4.0, "text": "later"}]}
    assert "captions" not in normalize_config({"template": "bars"}, audio_duration=5.0)


@pytest.mark.parametrize(("captions_value", "field"), [
    ({"cues": [{"start": 2, "end": 1, "text": "x"}]}, "config.captions.cues[0].end"),
    ({"cues": [{"start": 1, "end": 9, "text": "x"}]}, "config.captions.cues[0].end"),
    ({"cues": [{"start": 1, "end": 2, "text": "<i></i>"}]}, "config.captions.cues[0].text"),
    ({"cues": [{"start": "1", "end": 2, "text": "x"}]}, "config.captions.cues[0].start"),
    ({"cues": [{"start": 1, "end": 2}]}, "config.captions.cues[0].text"),
    ({"cues": [{"start": 1, "end": 2, "text": ["x"]}]}, "config.captions.cues[0].text"),
    ({"cues": {"start": 1}}, "config.captions.cues"),
    ({"cues": [{"start": 1, "end": 2, "text": "x"}], "position": "left"}, "config.captions.position"),
    ({"cues": [{"start": 1, "end": 2, "text": "x"}], "color": "red"}, "config.captions.color"),
    ({"cues": [{"start": 1, "end": 2, "text": "x"}], "font": "x"}, "config.captions.font"),
    ({"position": "top"}, "config.captions.cues"),
    (["x"], "config.captions"),
])
def test_bad_config_cues_name_the_field(captions_value, field):
    with pytest.raises(RenderConfigInvalid) as info:
        normalize_config({"template": "bars", "captions": captions_value}, audio_duration=5.0)
    assert field in info.value.fields, info.value.fields
