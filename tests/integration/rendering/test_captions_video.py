"""Captions on the rendered video: a cue is on exactly its frames, in every template."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from app.rendering.pipeline import render_video
from tests.integration.rendering.conftest import CHROMIUM

pytestmark = pytest.mark.slow

SIZE, FPS = (720, 720), 24
# libx264 gives the same bits for the same frames; the in-page WebCodecs encoder (OpenH264, fixed
# bitrate) does not quite, run to run, which would blur "differs exactly on these frames"
ENCODER = "x264"


def frames_of(path) -> np.ndarray:
    command = ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(command, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, SIZE[1], SIZE[0], 3).astype(np.int16)


def changed_frames(a: np.ndarray, b: np.ndarray) -> list[int]:
    """Frames where a caption-sized patch differs (not the encoder's noise)."""
    assert a.shape == b.shape
    strong = (np.abs(a - b).max(axis=3) > 48).sum(axis=(1, 2))
    return [int(i) for i in np.nonzero(strong > 400)[0]]


@pytest.mark.parametrize(("template", "position"), [("bars", "bottom"), ("particles", "middle")])
def test_a_cue_is_drawn_on_exactly_its_frames(media, tmp_path, template, position):
    base = {"template": template, "size": f"{SIZE[0]}x{SIZE[1]}", "fps": FPS, "title": "Title",
            "artist": "Artist"}
    plain = render_video(media["music"], tmp_path / "plain.mp4", base, chromium_path=CHROMIUM,
                         encoder=ENCODER)
    # 0.5 s to 1.0 s at 24 fps: frames 12-23; the second cue starts before the audio's end and
    # runs to it (frames 36-47), with WebVTT-style markup already removed by the server
    cues = [{"start": 0.5, "end": 1.0, "text": "Hello from the captions"},
            {"start": 1.5, "end": 2.0, "text": "<b>not bold</b>, a second line that wraps across the frame"}]
    captioned = render_video(media["music"], tmp_path / "captioned.mp4",
                             {**base, "captions": {"cues": cues, "position": position}},
                             chromium_path=CHROMIUM, encoder=ENCODER)
    assert captioned.frame_count == plain.frame_count == 2 * FPS
    assert changed_frames(frames_of(tmp_path / "plain.mp4"), frames_of(tmp_path / "captioned.mp4")) == [
        *range(12, 24), *range(36, 48)]


def test_captions_follow_the_trim(media, tmp_path):
    # the audio's 1.0-1.5 s cue on a render that starts at 0.5 s: frames 12-23 of the video
    base = {"template": "wave", "size": f"{SIZE[0]}x{SIZE[1]}", "fps": FPS, "trim_start": 0.5}
    render_video(media["music"], tmp_path / "plain.mp4", base, chromium_path=CHROMIUM, encoder=ENCODER)
    render_video(media["music"], tmp_path / "captioned.mp4",
                 {**base, "captions": {"cues": [{"start": 1.0, "end": 1.5, "text": "Trimmed"}]}},
                 chromium_path=CHROMIUM, encoder=ENCODER)
    assert changed_frames(frames_of(tmp_path / "plain.mp4"), frames_of(tmp_path / "captioned.mp4")) == [
        *range(12, 24)]
