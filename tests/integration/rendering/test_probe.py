"""ffprobe identifies real audio by content, and refuses everything else with a typed error (which
the API answers with 415)."""

from __future__ import annotations

import pytest

from app.rendering.errors import AudioUnsupported
from app.rendering.probe import probe_audio
from app.renders.errors import api_error


@pytest.mark.parametrize(
    ("clip", "codec", "rate", "channels"),
    [
        ("music", "aac", 44100, 2),
        ("loud", "pcm_s16le", 44100, 2),
        ("mp3", "mp3", 44100, 2),
        ("flac", "flac", 44100, 2),
        ("ogg", "vorbis", 44100, 2),
        ("mono48k", "pcm_s16le", 48000, 1),
    ],
)
def test_probe_reads_real_audio(media, clip, codec, rate, channels):
    info = probe_audio(media[clip])
    assert info.codec == codec
    assert (info.sample_rate, info.channels) == (rate, channels)
    assert info.duration == pytest.approx(2.0, abs=0.06)
    assert info.container and info.format_name


def test_probe_ignores_the_file_name(media, tmp_path):
    renamed = tmp_path / "song.png"
    renamed.write_bytes(media["flac"].read_bytes())
    assert probe_audio(renamed).codec == "flac"


def test_a_header_that_lies_is_measured_by_decoding(media):
    info = probe_audio(media["truncated"])
    assert info.duration == pytest.approx(0.5, abs=0.02)  # not the 2 s the header claims


@pytest.mark.parametrize("clip", ["text", "empty", "elf", "image", "headeronly"])
def test_probe_refuses_what_is_not_audio(media, clip):
    with pytest.raises(AudioUnsupported) as info:
        probe_audio(media[clip])
    assert info.value.code == "unsupported_audio" and info.value.message
    assert api_error(info.value).status == 415


def test_probe_refuses_a_missing_file(tmp_path):
    with pytest.raises(AudioUnsupported):
        probe_audio(tmp_path / "missing.wav")
