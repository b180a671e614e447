"""A person walks the web app in Chromium against a live server and a real worker."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import RenderJob, RenderStatus, User
from app.rendering.errors import AudioUnsupported
from tests.e2e.frontend.browsing import PASSWORD
from tests.e2e.frontend.conftest import MARKUP_ARTIST, MARKUP_TITLE
from tests.support.worker_process import wait_for

pytestmark = pytest.mark.slow

CANVAS = "document.getElementById('preview-canvas').toDataURL()"


def canvas_digest(page) -> str:
    return hashlib.sha256(page.evaluate(CANVAS).encode()).hexdigest()


def ffprobe_duration(path: Path) -> float:
    result = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", str(path)],
                            capture_output=True, check=True, timeout=30)
    return float(json.loads(result.stdout)["format"]["duration"])


def test_sign_up_drop_preview_trim_render_watch_and_download(browse, worker, clips, tmp_path, app_ctx):
    web = browse()
    page = web.goto("/")
    web.snap("home")
    web.sign_up()
    web.snap("create-empty")

    web.drop_file("#dropzone", clips["song"])
    page.wait_for_selector("#preview-canvas[data-ready]")
    # analysed off the main thread
    expect(page.locator("#preview-canvas")).to_have_attribute("data-analysis", "worker")
    assert page.locator("#file-name").text_content() == "three-seconds.mp3"
    expect(page.get_by_label("Title", exact=True)).to_have_value("Three Seconds")  # from the file's tags
    # nothing has been sent yet: the preview is drawn from the file in the browser
    assert web.api_requests("/api/v1/renders") == []

    page.get_by_role("button", name="Play preview").click()
    wait_for(lambda: page.evaluate("document.getElementById('preview-audio').currentTime") > 0.2,
             timeout=10, message="the audio plays")
    first = canvas_digest(page)
    start = page.evaluate("document.getElementById('preview-audio').currentTime")
    wait_for(lambda: page.evaluate("document.getElementById('preview-audio').currentTime") > start + 0.4,
             timeout=10, message="the audio moves on")
    assert canvas_digest(page) != first, "the preview does not move with the music"
    if page.locator("#play-label").text_content() == "Pause preview":  # the 3 s may be over already
        page.get_by_role("button", name="Pause preview").click()
    expect(page.get_by_role("button", name="Play preview")).to_be_visible()

    # trim to 1-2.5 s: the start handle with the keyboard, the end in its numeric field
    page.get_by_role("slider", name="Start of the video").focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    page.get_by_label("End (seconds)").fill("2.5")
    page.get_by_label("End (seconds)").press("Tab")
    expect(page.get_by_label("Start (seconds)")).to_have_value("1.00")
    expect(page.locator("#trim-length")).to_have_text("0:01.5")
    page.get_by_label("Square 1:1").check()
    page.get_by_label("Landscape 16:9").uncheck()
    page.get_by_label("Resolution").select_option("720p")
    page.get_by_label("Frame rate").select_option("24")
    # the preview follows: the video's own size, drawn from the trimmed range at 24 fps
    page.wait_for_function("() => document.getElementById('preview-canvas').width === 720")
    expect(page.locator("#preview-time")).to_have_text(re.compile(r" / 0:01\.5$"))
    web.snap("create-preview")
    assert web.api_requests("/api/v1/renders") == []

    page.get_by_role("button", name="Render video").click()
    page.wait_for_url("**/renders/*")
    job_id = page.url.rsplit("/", 1)[1]
    assert len(web.api_requests("/api/v1/renders", "POST")) == 1
    config = db.session.get(RenderJob, uuid.UUID(job_id)).config
    assert (config["trim_start"], config["trim_end"]) == (1.0, 2.5)
    assert (config["size"], config["fps"]) == ("720x720", 24)
    page.wait_for_selector("#job-state:not([hidden])")
    web.snap("job-in-progress")

    page.wait_for_function("() => document.getElementById('job-percent').textContent === '100%'",
                           timeout=150_000)
    page.wait_for_selector("#download-button:not([hidden])")
    assert page.locator("#job-status .badge").text_content() == "Completed"
    page.wait_for_function("() => document.getElementById('job-video').readyState >= 2", timeout=30_000)
    duration = page.evaluate("document.getElementById('job-video').duration")
    assert abs(duration - 1.5) <= 1 / 24 + 1e-3, duration
    web.snap("job-completed")

    links_before = len(web.api_requests(f"/api/v1/renders/{job_id}/download"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download MP4").click()
    saved = tmp_path / "video.mp4"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith(".mp4")
    assert saved.read_bytes()[4:8] == b"ftyp"
    assert abs(ffprobe_duration(saved) - 1.5) <= 1 / 24 + 0.05
    assert len(web.api_requests(f"/api/v1/renders/{job_id}/download")) == links_before + 1  # fresh link

    page.get_by_role("link", name="History").click()
    row = page.locator("#history-rows tr", has_text="Three Seconds")
    row.wait_for()
    assert row.locator(".badge").text_content() == "Completed"
    web.snap("history")


def test_a_text_file_named_mp3_gets_the_servers_415_message(browse, clips):
    web = browse()
    web.sign_up()
    page = web.page
    page.get_by_label("Drop a song here, or choose an audio file").set_input_files(str(clips["text"]))
    alert = page.locator("#file-alert")
    alert.wait_for()
    assert "cannot decode this file" in alert.text_content()
    with page.expect_response("**/api/v1/renders") as answer:
        page.get_by_role("button", name="Render video").click()
    assert answer.value.status == 415
    server_message = answer.value.json()["error"]["message"]
    assert server_message == AudioUnsupported.message
    submit_alert = page.locator("#submit-alert")
    submit_alert.locator(".alert-message").wait_for()
    assert submit_alert.get_attribute("role") == "alert"
    assert submit_alert.locator(".alert-message").text_content() == server_message
    web.snap("create-refused")


def test_forgot_password_through_the_outbox_to_a_new_password_that_logs_in(browse, worker, live_server):
    web = browse()
    address = web.sign_up()
    web.page.get_by_role("button", name="Log out").first.click()
    page = web.page
    page.wait_for_url("**/login?reason=logged_out")
    assert page.locator("#login-reason").text_content() == "You have been logged out."
    web.snap("login")
    page.get_by_role("link", name="Forgot your password?").click()
    web.ready()
    outbox = Path(live_server.app.config["OUTBOX_DIR"])
    before = set(outbox.glob("*.eml"))
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name="Send the reset link").click()
    page.locator("#forgot-done").filter(has_text="Check your inbox").wait_for()
    web.snap("forgot-password")

    def reset_email():
        for path in set(outbox.glob("*.eml")) - before:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                return message
        return None

    message = wait_for(reset_email, timeout=60, message="the reset email in the outbox")
    body = message.get_body(("plain",)).get_content()
    link = next(word for word in body.split() if "/reset-password?token=" in word)
    assert link.startswith(f"{live_server.url}/reset-password?token=")

    page.goto(link)
    web.ready()
    assert "token=" not in page.url  # taken out of the address bar at once
    new_password = "amber-lighthouse-orbit-97"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("New password, again").fill(new_password)
    web.snap("reset-password")
    page.get_by_role("button", name="Set the new password").click()
    page.locator("#reset-done").filter(has_text="Your password has been changed").wait_for()
    page.get_by_role("link", name="Log in").last.click()
    page.wait_for_url("**/login?reason=password_changed")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#login-alert .alert-message").filter(has_text="incorrect").wait_for()
    page.get_by_label("Password", exact=True).fill(new_password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/create")


def test_markup_in_a_songs_tags_and_titles_shows_as_text(browse, clips, app, render_job_factory):
    web = browse()
    address = web.sign_up()
    page = web.page
    page.get_by_label("Drop a song here, or choose an audio file").set_input_files(str(clips["tagged"]))
    tags = page.locator("#file-tags")
    tags.wait_for()
    assert tags.text_content() == f"From the file's tags: {MARKUP_TITLE} — {MARKUP_ARTIST}"
    expect(page.get_by_label("Title", exact=True)).to_have_value(MARKUP_TITLE)
    expect(page.get_by_label("Artist", exact=True)).to_have_value(MARKUP_ARTIST)
    page.wait_for_selector("#preview-canvas[data-ready]")

    user = db.session.scalar(db.select(User).where(User.email == address))
    job = render_job_factory(user, status=RenderStatus.FAILED, config={
        "template": "bars", "size": "1280x720", "fps": 30, "title": MARKUP_TITLE, "artist": MARKUP_ARTIST,
        "trim_start": 0, "trim_end": 2.0, "options": {}}, error_code="render_failed",
        error_message="<i>Renderer</i> crashed")
    page.goto(f"/renders/{job.id}")
    page.locator("#job-title").filter(has_text="Night").wait_for()
    assert page.locator("#job-title").text_content() == MARKUP_TITLE
    assert page.locator("#job-subtitle").text_content() == MARKUP_ARTIST
    assert page.locator("#job-error-message").text_content() == "<i>Renderer</i> crashed"
    assert page.get_by_role("button", name="Retry the render").is_visible()
    page.goto("/history")
    page.locator("#history-rows a").first.wait_for()
    assert page.locator("#history-rows a").first.text_content() == MARKUP_TITLE
    for selector in ("#main b", "#main img", "#main i", "#main script"):
        assert page.locator(selector).count() == 0, selector
    assert page.evaluate("window.__injected") is None
