"""The visualizer page in real Chromium: determinism, music-driven frames, network lockdown, JS analysis."""

from __future__ import annotations

import base64
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest

from app.rendering.analysis import FEATURE_DTYPE, analyze_file
from app.rendering.capture import CaptureSession
from app.rendering.catalog import normalize_config
from app.rendering.errors import RenderConfigInvalid, RenderFailed
from app.rendering.pipeline import render_video
from tests.integration.rendering.conftest import CHROMIUM, decode_frame

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def music_features(media, tmp_path_factory):
    return analyze_file(
        media["music"], tmp_path_factory.mktemp("features") / "music.bin", fps=24, source_rate=44100
    )


@pytest.mark.parametrize("template", ["bars", "wave", "radial", "particles"])
def test_frames_are_identical_in_any_order_and_in_two_pages(music_features, images, template):
    config = normalize_config(
        {
            "template": template,
            "size": "720x720",
            "fps": 24,
            "title": "Order",
            "options": {"background_image": "background", "logo_image": "cover"},
        }
    )
    frames = list(range(0, music_features.frame_count, 3))
    shuffled = frames[:]
    random.Random(3).shuffle(shuffled)
    with CaptureSession(
        config=config, features=music_features, assets=images, chromium_path=CHROMIUM
    ) as first:
        in_order = dict(zip(frames, first.snapshot(frames), strict=True))
        again = first.snapshot([frames[5], frames[0]])
    with CaptureSession(
        config=config, features=music_features, assets=images, chromium_path=CHROMIUM
    ) as second:
        out_of_order = dict(zip(shuffled, second.snapshot(shuffled), strict=True))
    assert in_order == out_of_order
    assert again == [in_order[frames[5]], in_order[frames[0]]]
    assert len(set(in_order.values())) == len(frames)  # and the frames do differ from each other


def test_a_silent_and_a_loud_clip_give_different_frames(media, tmp_path):
    config = {"template": "bars", "size": "720x720", "fps": 24}
    silent = render_video(media["silent"], tmp_path / "silent.mp4", config, chromium_path=CHROMIUM)
    loud = render_video(media["loud"], tmp_path / "loud.mp4", config, chromium_path=CHROMIUM)
    for index in (6, 24, 40):
        a = (
            np.frombuffer(decode_frame(silent.path, index, 720, 720), np.uint8)
            .reshape(720, 720, 3)
            .astype(int)
        )
        b = np.frombuffer(decode_frame(loud.path, index, 720, 720), np.uint8).reshape(720, 720, 3).astype(int)
        band = slice(200, 520)  # the bars live around the middle of the frame
        assert np.abs(a[band] - b[band]).mean() > 3, index
    # silence draws the same bars in every frame; music moves them
    s1, s2 = (
        np.frombuffer(decode_frame(silent.path, i, 720, 720), np.uint8).reshape(720, 720, 3) for i in (10, 30)
    )
    l1, l2 = (
        np.frombuffer(decode_frame(loud.path, i, 720, 720), np.uint8).reshape(720, 720, 3) for i in (10, 30)
    )
    assert np.abs(s1[250:470].astype(int) - s2[250:470]).mean() < 1
    assert np.abs(l1[250:470].astype(int) - l2[250:470]).mean() > 2


JS = Path(__file__).parent / "js"
ESCAPES = (JS / "escapes.js").read_text()


def test_network_lockdown_never_reaches_a_loopback_canary(music_features, canary):
    title = f'<img src="{canary.url}/title.png"> {canary.url}/t'
    config = normalize_config(
        {
            "template": "wave",
            "size": "720x720",
            "fps": 24,
            "title": title,
            "artist": f"url({canary.url}/artist.png)",
        }
    )
    with CaptureSession(config=config, features=music_features, chromium_path=CHROMIUM) as session:
        session.snapshot([0, 10])
        # the visualizer page itself: its CSP and the request routing both stand in the way
        results = session.evaluate(ESCAPES, canary.url)
        same_origin = session.evaluate("""async () => Promise.all(
            ['/visualizer/../../../etc/passwd', '/job/other', '/assets/nope'].map(
                (p) => fetch(p).then(() => 'ok', () => 'failed')))""")
        # request routing alone: a page in the same browser context without any CSP
        bare = session._page.context.new_page()
        bare_results = bare.evaluate(ESCAPES, canary.url)
        blocked = list(session.blocked)
        served = session.served
    assert canary.hits == []
    for outcome in (results, bare_results):
        assert outcome["fetch"] == outcome["image"] == outcome["xhr"] == outcome["font"] == "failed"
        assert outcome["websocket"] == "failed" and outcome["nav"] == "failed"
    assert same_origin == ["failed", "failed", "failed"]
    # the requests were aborted by request routing, not merely unlucky
    for path in ("/fetch", "/image.png", "/xhr", "/font.ttf", "/frame"):
        assert f"{canary.url}{path}" in blocked
    assert "https://waveframe.invalid/job/other" in blocked and "https://example.com/" in blocked
    assert served > 0  # while the visualizer's own files and features were served


def test_rendering_with_hostile_text_contacts_nothing(media, tmp_path, canary):
    result = render_video(
        media["music"],
        tmp_path / "x.mp4",
        {
            "template": "bars",
            "size": "720x720",
            "fps": 24,
            "title": f"<script>fetch('{canary.url}/x')</script>",
            "artist": f'<img src="{canary.url}/y.png">',
        },
        chromium_path=CHROMIUM,
    )
    assert result.frame_count == 48
    assert canary.hits == []


def test_an_image_url_in_the_config_is_refused_and_never_fetched(media, music_features, tmp_path, canary):
    raw = {"template": "bars", "size": "720x720", "options": {"background_image": f"{canary.url}/bg.png"}}
    with pytest.raises(RenderConfigInvalid):
        render_video(media["music"], tmp_path / "x.mp4", raw, chromium_path=CHROMIUM)
    # even a config that skipped validation cannot make the page load it
    config = normalize_config({"template": "bars", "size": "720x720"})
    config["options"]["background_image"] = f"{canary.url}/bg.png"
    with (
        pytest.raises(RenderFailed),
        CaptureSession(config=config, features=music_features, chromium_path=CHROMIUM),
    ):
        pass
    assert canary.hits == []


def test_browser_analysis_matches_the_worker(media, music_features, tmp_path):
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(media["music"]), "-ac", "1", "-ar", "44100", "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    config = normalize_config({"template": "bars", "size": "720x720", "fps": 24})
    with CaptureSession(config=config, features=music_features, chromium_path=CHROMIUM) as session:
        packed = session.evaluate(
            (JS / "browser_analysis.js").read_text(),
            base64.b64encode(pcm).decode(),
        )
    js = np.frombuffer(base64.b64decode(packed["data"]), dtype=FEATURE_DTYPE)
    py = music_features.records()
    assert packed["frameCount"] == music_features.frame_count == len(js)
    assert np.abs(js["bands"].astype(int) - py["bands"].astype(int)).max() < 0.01 * 65535
    assert np.abs(js["rms"].astype(int) - py["rms"].astype(int)).max() < 0.01 * 65535
    assert np.abs(js["onset"].astype(int) - py["onset"].astype(int)).max() < 0.05 * 65535
    assert np.allclose(js["phase"], py["phase"], rtol=1e-3)
    assert packed["rms20"] == pytest.approx(py["rms"][20] / 65535, abs=0.01)


NON_DEFAULT = {
    "bars": {"mirror": False, "rounded": False, "bar_count": 128, "bar_gap": 0.0, "sensitivity": 2.0},
    "wave": {"fill": True, "glow": False, "line_width": 12, "font": "mono", "text_position": "top"},
    "radial": {"spin": False, "bar_count": 32, "cover_image": "cover", "font": "serif"},
    "particles": {"density": 600, "speed": 3.0, "show_progress": False, "logo_position": "bottom-left"},
}


@pytest.mark.parametrize("template", sorted(NON_DEFAULT))
def test_non_default_options_draw_something_else(music_features, images, template):
    base = {
        "template": template,
        "size": "720x1280",
        "fps": 24,
        "title": "Options",
        "artist": "Test",
        "options": {"logo_image": "cover"},
    }
    changed = {**base, "options": {**base["options"], **NON_DEFAULT[template]}}
    digests = []
    for raw in (base, changed):
        config = normalize_config(raw, available_assets=set(images))
        with CaptureSession(
            config=config, features=music_features, assets=images, chromium_path=CHROMIUM
        ) as session:
            digests.append(session.snapshot([12, 30]))
    assert digests[0][0] != digests[1][0] and digests[0][1] != digests[1][1]
