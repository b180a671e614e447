"""One chunk of a render: a silent H.264 segment of exactly its frames, starting on a keyframe,
that joins with its neighbours into the frames and sound of the whole render."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.rendering.chunks import FrameRange, analyze_once, join_segments, render_segment
from app.rendering.errors import RenderFailed
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
