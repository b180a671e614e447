"""Captions and formats in the web app: a caption file drawn in the live preview, a malformed
one refused with its line, and an order of two formats rendered with a download each."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from app.extensions import db
from app.models import RenderJob
from tests.e2e.frontend.test_web_app import CANVAS
from tests.support.worker_process import wait_for

pytestmark = pytest.mark.slow

GOOD_SRT = "1\n00:00:00,000 --> 00:00:03,000\nHello from the captions\n"
BAD_VTT = "WEBVTT\n\n00:00.000 --> 00:01.000\nfine\n\n00:01.000 -> 00:02.000\nbroken arrow\n"


def video_size(path: Path) -> str:
    result = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-print_format", "json",
                             "-show_streams", str(path)], capture_output=True, check=True, timeout=30)
    stream = json.loads(result.stdout)["streams"][0]
    return f"{stream['width']}x{stream['height']}"


def choose_song(web, clips):
    page = web.page
    web.drop_file("#dropzone", clips["song"])
    page.wait_for_selector("#preview-canvas[data-ready]")
    page.wait_for_function("() => document.getElementById('preview-status').textContent === ''")
    return page


def canvas_pixels(page) -> np.ndarray:
    data = page.evaluate(CANVAS).split(",", 1)[1]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")).astype(int)


def changed_rows(page, before: np.ndarray) -> np.ndarray:
    """Rows of the preview whose pixels differ from ``before`` (once it differs at all)."""
    wait_for(lambda: canvas_pixels(page).shape == before.shape and (canvas_pixels(page) != before).any(),
             timeout=15, message="the preview changes")
    return np.where((np.abs(canvas_pixels(page) - before) > 8).any(axis=(1, 2)))[0]


def test_a_caption_file_shows_in_the_preview_and_a_broken_one_names_its_line(browse, clips, tmp_path):
    web = browse()
    web.sign_up()
    page = choose_song(web, clips)
    page.get_by_label("Landscape 16:9").click()  # the last format stays ticked
    expect(page.get_by_label("Landscape 16:9")).to_be_checked()
    without = canvas_pixels(page)
    height = without.shape[0]

    good = tmp_path / "song.srt"
    good.write_text(GOOD_SRT)
    page.get_by_label("Caption file (SRT or WebVTT)").set_input_files(str(good))
    expect(page.locator("#captions-summary")).to_have_text("1 caption from song.srt.")
    rows = changed_rows(page, without)  # the cue covers frame 0, the one shown
    assert rows.min() > height * 0.6, (rows.min(), rows.max())  # drawn at the bottom, nothing else moved
    web.snap("create-captions", phone_width=390)

    page.get_by_label("Caption position").select_option("top")
    wait_for(lambda: np.where((np.abs(canvas_pixels(page) - without) > 8).any(axis=(1, 2)))[0].max()
             < height * 0.4, timeout=15, message="the caption moves to the top")

    page.get_by_role("button", name="Remove captions").click()
    wait_for(lambda: (canvas_pixels(page) == without).all(), timeout=15,
             message="the preview without captions")

    bad = tmp_path / "broken.vtt"
    bad.write_text(BAD_VTT)
    page.get_by_label("Caption file (SRT or WebVTT)").set_input_files(str(bad))
    alert = page.locator("#captions-alert")
    expect(alert).to_contain_text("Line 6")
    assert alert.get_attribute("role") == "alert"
    expect(page.locator("#captions-style")).to_be_hidden()
    assert (canvas_pixels(page) == without).all()
    web.snap("create-captions-refused", phone_width=390)


def test_an_order_of_two_formats_shows_two_downloads_once_rendered(browse, worker, clips, tmp_path, app_ctx):
    web = browse()
    web.sign_up()
    page = choose_song(web, clips)
    page.get_by_label("End (seconds)").fill("1.5")
    page.get_by_label("End (seconds)").press("Tab")
    page.get_by_label("Portrait 9:16").check()
    page.get_by_label("Resolution").select_option("720p")
    expect(page.locator("#size-hint")).to_have_text("2 videos: 1280 \u00d7 720, 720 \u00d7 1280 pixels.")
    page.get_by_label("Preview shows").select_option("9:16")
    page.wait_for_function("() => document.getElementById('preview-canvas').width === 720"
                           " && document.getElementById('preview-canvas').height === 1280")
    web.snap("create-formats", phone_width=390)

    page.get_by_role("button", name="Render video").click()
    page.wait_for_url("**/renders/*")
    job_id = page.url.rsplit("/", 1)[1]
    config = db.session.get(RenderJob, uuid.UUID(job_id)).config
    assert config["formats"] == ["1280x720", "720x1280"] and config["size"] == "1280x720"
    page.wait_for_function("() => document.getElementById('job-percent').textContent === '100%'",
                           timeout=240_000)
    items = page.locator("#download-list .download-item")
    expect(items).to_have_count(2)
    assert page.locator("#download-button").is_hidden()
    page.wait_for_function("() => document.getElementById('job-video').readyState >= 2", timeout=30_000)
    web.snap("job-formats", phone_width=390)

    for aspect, size in (("16:9", "1280x720"), ("9:16", "720x1280")):
        with page.expect_download() as download:
            page.get_by_role("button", name=f"Download {aspect}").click()
        saved = tmp_path / f"{size}.mp4"
        download.value.save_as(saved)
        assert video_size(saved) == size
    page.get_by_role("button", name="Play Portrait 9:16").click()
    page.wait_for_function("() => document.getElementById('job-video').videoHeight === 1280", timeout=30_000)

    page.get_by_role("link", name="History").click()
    row = page.locator("#history-rows tr", has_text="Three Seconds")
    row.wait_for()
    expect(row.get_by_role("button")).to_have_count(2)
    web.snap("history-formats", phone_width=390)
