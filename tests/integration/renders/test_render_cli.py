"""``flask render``: one local render with a progress bar and a summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from app.renders.cli import render_command
from tests.integration.rendering.conftest import probe_streams

pytestmark = pytest.mark.slow


@pytest.fixture
def cover(tmp_path) -> Path:
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse([0, 0, 300, 300], fill=(250, 220, 60, 255))
    image.save(tmp_path / "cover.png")
    return tmp_path / "cover.png"


def test_flask_render_writes_the_video_and_prints_a_summary(app, runner, media, cover, tmp_path):
    app.config["CHROMIUM_PATH"] = "/usr/bin/chromium"
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"template": "wave", "title": "From file", "options": {"text_color": "#ff8800"}})
    )
    out = tmp_path / "cli.mp4"
    subs = tmp_path / "subs.vtt"
    subs.write_text("WEBVTT\n\n00:00.500 --> 00:01.000\n<v Ann>Hi</v>\n\n00:01.000 --> 00:02.000\nBye\n")
    result = runner.invoke(
        render_command,
        [
            str(media["m4a"]),
            "-o",
            str(out),
            "--config",
            str(config),
            "--template",
            "radial",
            "--size",
            "720x720",
            "--fps",
            "24",
            "--artist",
            "CLI",
            "--cover",
            str(cover),
            "--captions",
            str(subs),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"output:    {out}" in result.output
    assert "2.00 s, 48 frames at 24 fps, 720x720" in result.output
    assert "real time" in result.output and "MB" in result.output
    assert "captions:  2 cues" in result.output
    video = next(s for s in probe_streams(out)["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (720, 720)


def test_flask_render_reports_bad_input_without_a_traceback(app, runner, media, tmp_path):
    text = tmp_path / "text.mp3"
    text.write_text("this is not audio at all\n" * 200)
    result = runner.invoke(
        render_command, [str(text), "-o", str(tmp_path / "x.mp4"), "--size", "720x720"]
    )
    assert result.exit_code == 1
    assert "not audio" in result.output
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"template": "bars", "options": {"bar_color": "red"}}))
    result = runner.invoke(
        render_command, [str(media["m4a"]), "-o", str(tmp_path / "y.mp4"), "--config", str(config)]
    )
    assert result.exit_code == 1
    assert "config.options.bar_color" in result.output
    subs = tmp_path / "bad.srt"
    subs.write_text("1\n00:00:00,500 --> 00:00:01,000\nok\n\n2\n00:00:01,000 -> 00:00:02,000\nbad arrow\n")
    result = runner.invoke(
        render_command, [str(media["m4a"]), "-o", str(tmp_path / "z.mp4"), "--captions", str(subs)]
    )
    assert result.exit_code == 1
    assert "Line 6:" in result.output and "Traceback" not in result.output


def test_flask_render_formats_renders_each_size_from_one_analysis(app, runner, media, tmp_path, caplog):
    app.config["CHROMIUM_PATH"] = "/usr/bin/chromium"
    out = tmp_path / "song.mp4"
    with caplog.at_level("INFO"):
        result = runner.invoke(render_command, [str(media["mp3"]), "-o", str(out), "--template", "radial",
                                                "--fps", "24", "--formats", "720x720,720x1280"])
    assert result.exit_code == 0, result.output
    streams = {path.name: probe_streams(path) for path in (out, tmp_path / "song.720x1280.mp4")}
    sizes = {name: next((s["width"], s["height"]) for s in found["streams"] if s["codec_type"] == "video")
             for name, found in streams.items()}
    assert sizes == {"song.mp4": (720, 720), "song.720x1280.mp4": (720, 1280)}
    assert sum(1 for r in caplog.records if r.getMessage() == "analysis_done") == 1
    bad = runner.invoke(render_command, [str(media["mp3"]), "-o", str(out), "--formats", "720x720,1080x1080"])
    assert bad.exit_code != 0 and "config.formats" in bad.output and "Traceback" not in bad.output
