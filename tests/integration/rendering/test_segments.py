"""One chunk of a render: a silent H.264 segment of exactly its frames, starting on a keyframe,
that joins with its neighbours into the frames and sound of the whole render."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from app.rendering.chunks import (
    FrameRange,
    analyze_once,
    check_track_audio,
    encode_track_audio,
    join_segments,
    render_segment,
)
from app.rendering.errors import RenderCanceled, RenderFailed
from app.rendering.probe import probe_audio
from tests.integration.rendering.conftest import CHROMIUM, probe_streams

pytestmark = pytest.mark.slow

CONFIG = {"template": "wave", "size": "720x720", "fps": 24}


def packet_flags(path: Path) -> list[str]:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "packet=flags", "-of", "csv=p=0", str(path)],
                         capture_output=True, check=True, timeout=30, text=True).stdout
    return out.split()


def test_segments_start_on_a_keyframe_and_join_into_the_whole_render(media, tmp_path):
    config, features = analyze_once(media["long"], CONFIG, {}, tmp_path)
    assert features.frame_count == 480  # 20 s at 24 fps
    # after a whole key interval (warmed encoder), and at an arbitrary frame (no warm-up)
    ranges = [FrameRange(0, 0, 30), FrameRange(1, 30, 48), FrameRange(2, 48, 96)]
    segments = [render_segment(features, config, r, tmp_path / f"seg-{r.index}.mp4",
                               chromium_path=CHROMIUM, workdir=tmp_path) for r in ranges]
    for segment, frames in zip(segments, ranges, strict=True):
        streams = probe_streams(segment.path)
        assert [s["codec_type"] for s in streams["streams"]] == ["video"]  # silent
        assert int(streams["streams"][0]["nb_read_packets"]) == frames.frames
        assert packet_flags(segment.path)[0].startswith("K")
    joined = join_segments([s.path for s in segments], media["long"], {**config, "trim_end": 4.0},
                           tmp_path / "joined.mp4", frame_count=96)
    assert joined.frame_count == 96
    assert abs(joined.video_duration - joined.audio_duration) <= 1 / 24
    with pytest.raises(RenderFailed) as missing:  # a segment short: refused, never a short video
        join_segments([s.path for s in segments[1:]], media["long"], config, tmp_path / "short.mp4",
                      frame_count=96)
    assert missing.value.code == "segments_incomplete" and "66 frames" in missing.value.detail
    assert not (tmp_path / "short.mp4").exists()

    # the audio encoded once beforehand (the audio job's way) is copied as it is
    four_seconds = {**config, "trim_end": 4.0}
    audio = encode_track_audio(media["long"], four_seconds, tmp_path / "audio.m4a")
    copied = join_segments([s.path for s in segments], media["long"], four_seconds,
                           tmp_path / "copied.mp4", frame_count=96, encoded_audio=audio)
    assert copied.frame_count == 96
    assert abs(copied.video_duration - copied.audio_duration) <= 1 / 24
    assert audio_md5(copied.path) == audio_md5(audio)
    # audio of another length is never muxed: the join encodes the right one itself
    three_seconds = encode_track_audio(media["long"], {**config, "trim_end": 3.0}, tmp_path / "three.m4a")
    fixed = join_segments([s.path for s in segments], media["long"], four_seconds,
                          tmp_path / "fixed.mp4", frame_count=96, encoded_audio=three_seconds)
    assert abs(fixed.video_duration - fixed.audio_duration) <= 1 / 24
    assert audio_md5(fixed.path) not in (audio_md5(three_seconds), "")


def audio_md5(path: Path) -> str:
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5",
                           "-"], capture_output=True, check=True, timeout=30, text=True).stdout.strip()


def test_the_audio_is_encoded_to_the_trimmed_length_and_stops_on_cancel(tmp_path):
    source = tmp_path / "long.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=220:d=900:r=44100", "-ac", "2",
                    str(source)], check=True, timeout=60)
    config = {"fps": 30, "trim_start": 1.5, "trim_end": 9.0}
    audio = encode_track_audio(source, config, tmp_path / "audio.m4a")
    assert abs(probe_audio(audio).duration - 7.5) <= 1 / 30
    with pytest.raises(RenderFailed) as short:
        check_track_audio(audio, {**config, "trim_end": 10.0})
    assert short.value.code == "encode_failed" and "expected 8.500" in short.value.detail

    asked = []
    started = time.monotonic()
    with pytest.raises(RenderCanceled):  # 15 minutes to encode: stopped at the first look
        encode_track_audio(source, {"fps": 30, "trim_start": 0.0, "trim_end": 900.0}, tmp_path / "all.m4a",
                           should_cancel=lambda: asked.append(1) or True)
    assert asked and time.monotonic() - started < 5
    assert not [p for p in children() if "ffmpeg" in p]


def children() -> list[str]:
    me = os.getpid()
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == me:
                found.append((stat.parent / "comm").read_text().strip())
        except (OSError, IndexError, ValueError):
            continue
    return found
