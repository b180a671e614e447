"""render_video end to end with real Chromium and FFmpeg on 2-second clips."""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.rendering.catalog import parse_size
from app.rendering.errors import AudioUnsupported, RenderConfigInvalid
from app.rendering.pipeline import RenderProgress, render_video
from tests.integration.rendering.conftest import CHROMIUM, decode_frame, probe_streams

pytestmark = pytest.mark.slow

# One frame of every template x aspect is kept here; scripts/gallery.py makes docs/gallery.png.
GALLERY = Path(os.environ.get("WAVEFRAME_ARTIFACTS", "artifacts")) / "gallery"


def check_output(path, *, size: str, fps: int, duration: float, result=None) -> dict:
    width, height = parse_size(size)
    info = probe_streams(path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    frames = math.ceil(round(duration * fps, 6))
    assert (video["width"], video["height"]) == (width, height)
    assert video["codec_name"] == "h264" and video["profile"] == "High"
    assert video["pix_fmt"] == "yuv420p" and video.get("color_range") == "tv"
    assert video["avg_frame_rate"] == f"{fps}/1"
    assert int(video["nb_read_packets"]) == frames
    assert abs(float(video["duration"]) - duration) <= 1 / fps  # within one frame of the audio
    assert audio["codec_name"] == "aac"
    assert abs(float(audio["duration"]) - duration) <= 0.05
    head = path.read_bytes()[: 4096 * 16]
    assert b"moov" in head and head.find(b"moov") < max(head.find(b"mdat"), len(head))  # +faststart
    if result is not None:
        assert result.frame_count == frames and (result.width, result.height) == (width, height)
        assert result.size_bytes == path.stat().st_size and len(result.sha256) == 64
        assert result.realtime_factor > 0 and result.wall_seconds > 0
    return video


@pytest.mark.parametrize("size", ["1280x720", "720x720", "720x1280"])
@pytest.mark.parametrize("template", ["bars", "wave", "radial", "particles"])
def test_every_template_and_aspect_renders(media, tmp_path, template, size):
    out = tmp_path / f"{template}.mp4"
    updates: list[RenderProgress] = []
    result = render_video(
        media["music"],
        out,
        {"template": template, "size": size, "fps": 24, "title": "Test title", "artist": "Artist"},
        progress=updates.append,
        chromium_path=CHROMIUM,
    )
    check_output(out, size=size, fps=24, duration=2.0, result=result)
    assert result.encoder == "webcodecs"
    assert updates[-1].percent == 100 and updates[-1].frames_done == result.frame_count == 48
    percents = [u.percent for u in updates]
    assert percents == sorted(percents)
    width, height = parse_size(size)
    frame = np.frombuffer(decode_frame(out, 30, width, height), np.uint8).reshape(height, width, 3)
    assert frame.std() > 5  # a picture, not a flat frame
    GALLERY.mkdir(parents=True, exist_ok=True)
    Image.fromarray(frame).save(GALLERY / f"{template}-{size}.png")


def text_box(template: str, size: str, media, tmp_path, **options) -> tuple[int, int, int, int]:
    """Where the title and artist are drawn: the pixels that change with the text colour alone."""
    width, height = parse_size(size)
    frames = []
    for colour in ("#ff2020", "#20ff20"):
        out = tmp_path / f"{template}-{colour[1:]}.mp4"
        config = {"template": template, "size": size, "fps": 24, "title": "Midnight Drive",
                  "artist": "The Night Owls", "options": {"text_color": colour, **options}}
        render_video(media["music"], out, config, chromium_path=CHROMIUM)
        frames.append(np.frombuffer(decode_frame(out, 12, width, height), np.uint8).astype(int))
    diff = np.abs(frames[0] - frames[1]).reshape(height, width, 3).max(axis=2) > 40
    rows, cols = np.nonzero(diff)
    assert rows.size, "the text colour changed nothing"
    return rows.min(), rows.max(), cols.min(), cols.max()


# every template with its own default title position, and both positions once
@pytest.mark.parametrize(("template", "position"), [
    ("bars", "top"), ("bars", "bottom"), ("wave", None), ("radial", None), ("particles", None),
])
def test_portrait_title_is_phone_sized_and_clear_of_the_overlay_zones(media, tmp_path, template, position):
    # 9:16 feeds cover the top ~13 % (status bar, tabs) and the bottom ~22 % (caption, account
    # name, buttons); the title and artist must sit between, at a size readable on a phone
    width, height = 720, 1280
    options = {"text_position": position} if position else {}
    top, bottom, left, right = text_box(template, f"{width}x{height}", media, tmp_path, **options)
    assert top >= 0.13 * height and bottom <= 0.78 * height, (top, bottom)
    assert bottom - top >= 0.12 * width  # title + artist block (0.10 W when sized like 16:9)
    assert left >= 0.05 * width and right <= 0.95 * width


def test_trim_applies_to_features_and_audio(media, tmp_path):
    out = tmp_path / "trimmed.mp4"
    result = render_video(
        media["step"],
        out,
        {"template": "bars", "size": "720x720", "fps": 30, "trim_start": 1.0, "trim_end": 2.5},
        chromium_path=CHROMIUM,
    )
    check_output(out, size="720x720", fps=30, duration=1.5, result=result)
    assert result.duration_seconds == pytest.approx(1.5, abs=1e-3)
    # the source is silent before 1 s: after trimming, the audio starts loud at once
    level = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "info",
            "-i",
            str(out),
            "-map",
            "0:a",
            "-t",
            "0.3",
            "-af",
            "volumedetect",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
    ).stderr
    assert float(level.split("mean_volume:")[1].split()[0]) > -20


def test_webcodecs_output_is_limited_range(media, tmp_path):
    out = tmp_path / "range.mp4"
    render_video(
        media["music"],
        out,
        {
            "template": "bars",
            "size": "720x720",
            "fps": 24,
            "options": {
                "background_color": "#000000",
                "background_color_2": "#000000",
                "bar_color": "#ffffff",
                "bar_color_2": "#ffffff",
            },
        },
        chromium_path=CHROMIUM,
    )
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(out), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
        capture_output=True,
        check=True,
    ).stdout
    frame = 720 * 720 * 3 // 2
    y = np.frombuffer(raw, np.uint8).reshape(-1, frame)[:, : 720 * 720]
    counts = np.bincount(y.ravel(), minlength=256)
    assert int(np.argmax(counts[:128])) == 16  # black is 16, not 0
    assert int(np.argmax(counts[128:])) + 128 == 235  # white is 235, not 255
    # only compression ringing at sharp edges strays outside 16..235
    assert counts[:12].sum() + counts[241:].sum() < 0.002 * y.size


def test_falls_back_to_x264_when_videoencoder_is_missing(media, tmp_path):
    out = tmp_path / "fallback.mp4"
    result = render_video(
        media["music"],
        out,
        {"template": "wave", "size": "720x720", "fps": 24},
        chromium_path=CHROMIUM,
        browser_init_script="delete window.VideoEncoder; delete window.VideoFrame;",
    )
    assert result.encoder == "x264" and result.codec == "libx264"
    check_output(out, size="720x720", fps=24, duration=2.0, result=result)


def test_both_encoders_draw_the_same_picture(media, tmp_path):
    config = {"template": "radial", "size": "720x720", "fps": 24, "title": "Same"}
    a = render_video(media["music"], tmp_path / "a.mp4", config, chromium_path=CHROMIUM, encoder="webcodecs")
    b = render_video(media["music"], tmp_path / "b.mp4", config, chromium_path=CHROMIUM, encoder="x264")
    assert (a.encoder, b.encoder) == ("webcodecs", "x264")
    fa = np.frombuffer(decode_frame(a.path, 20, 720, 720), np.uint8).astype(int)
    fb = np.frombuffer(decode_frame(b.path, 20, 720, 720), np.uint8).astype(int)
    assert np.abs(fa - fb).mean() < 4  # same colours after each route's range handling


def test_images_are_served_to_the_page(media, images, tmp_path):
    out = tmp_path / "images.mp4"
    config = {
        "template": "radial",
        "size": "720x1280",
        "fps": 24,
        "title": "Cover",
        "options": {"background_image": "background", "cover_image": "cover", "logo_image": "cover"},
    }
    result = render_video(media["music"], out, config, assets=images, chromium_path=CHROMIUM)
    check_output(out, size="720x1280", fps=24, duration=2.0, result=result)
    plain = render_video(
        media["music"], tmp_path / "plain.mp4", {**config, "options": {}}, chromium_path=CHROMIUM
    )
    fa = np.frombuffer(decode_frame(out, 10, 720, 1280), np.uint8).astype(int)
    fb = np.frombuffer(decode_frame(plain.path, 10, 720, 1280), np.uint8).astype(int)
    assert np.abs(fa - fb).mean() > 10


def test_missing_asset_is_a_config_error(media, tmp_path):
    with pytest.raises(RenderConfigInvalid) as info:
        render_video(
            media["music"],
            tmp_path / "x.mp4",
            {"template": "bars", "size": "720x720", "options": {"background_image": "background"}},
            chromium_path=CHROMIUM,
        )
    assert "config.options.background_image" in info.value.fields


@pytest.mark.parametrize("clip", ["text", "image", "empty"])
def test_bad_audio_raises_the_typed_error(media, tmp_path, clip):
    with pytest.raises(AudioUnsupported):
        render_video(media[clip], tmp_path / "x.mp4", {"template": "bars"}, chromium_path=CHROMIUM)
    assert not (tmp_path / "x.mp4").exists()
