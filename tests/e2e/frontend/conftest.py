"""The web app in a real browser: a live server, a real worker, one Chromium for all browser tests.

The browser, the live servers and the fake Stripe are package-scoped: every browser test of the
run is in this package, so that is one browser per run; and they are gone before later tests
start in-process Playwright sessions of their own (the sync API allows one per thread) or put
jobs on the queues (a live worker would take them). Screenshots go to ``artifacts/e2e/`` (or
``$E2E_ARTIFACTS``), never into git.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.e2e.frontend.browsing import BrowserSession
from tests.support import render_media
from tests.support.fake_stripe import FakeStripe
from tests.support.stripe_webhooks import WEBHOOK_SECRET
from tests.support.worker_process import WorkerProcess, worker_env

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ROOT = Path(__file__).resolve().parents[3]
STRIPE_TEST_KEY = "sk_test_" + "e" * 24
# ffmpeg writes these as ID3v2 tags; the page must show them as text, never as markup
MARKUP_TITLE = '<b>Night</b> <img src=x onerror="window.__injected=1"> Drive'
MARKUP_ARTIST = '<script>window.__injected=2</script> & "Co"'


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        app.config["FRONTEND_URL"] = self.url  # links in emails and Stripe return URLs
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="package")
def live_server(app, make_app):
    """The embedded default (payments off) on the run's database, at http://127.0.0.1:<free port>."""
    with LiveServer(make_app()) as server:
        yield server


@pytest.fixture(scope="package")
def fake_stripe():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="package")
def paid_server(app, make_app, fake_stripe):
    """Payments on, Stripe's SDK talking to the local fake."""
    with LiveServer(make_app(STRIPE_SECRET_KEY=STRIPE_TEST_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                             STRIPE_API_BASE=fake_stripe.url, STRIPE_MAX_NETWORK_RETRIES=0)) as server:
        yield server


@pytest.fixture
def worker(live_server, tmp_path):
    """A real worker process (python worker.py) for this test, on the live server's settings."""
    env = worker_env(live_server.app, FRONTEND_URL=live_server.url,
                     RENDER_TMP_DIR=str(tmp_path / "render-tmp"))
    process = WorkerProcess(env, tmp_path / "worker.log").start()
    yield process
    process.stop()


@pytest.fixture(scope="package")
def chromium():
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope="package")
def artifacts() -> Path:
    folder = Path(os.environ.get("E2E_ARTIFACTS") or ROOT / "artifacts" / "e2e")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browse(chromium, artifacts, live_server):
    """``browse(server=live_server)`` -> a fresh browser context and page on that server."""
    sessions: list[BrowserSession] = []

    def open_session(server=live_server) -> BrowserSession:
        session = BrowserSession(chromium, server.url, artifacts)
        sessions.append(session)
        return session

    yield open_session
    for session in sessions:
        session.close()


@pytest.fixture(scope="package")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("web-clips")
    music = ("0.6*sin(2*PI*(45+60*exp(-30*mod(t,0.5)))*t)*exp(-7*mod(t,0.5))"
             "+0.15*sin(2*PI*220*t)+0.2*(random(0)-0.5)*exp(-30*mod(t+0.25,0.5))")
    song = render_media.ffmpeg(folder / "three-seconds.mp3", "-f", "lavfi", "-i",
                               f"aevalsrc='{music}':s=44100:d=3:c=stereo", "-c:a", "libmp3lame",
                               "-b:a", "96k", "-metadata", "title=Three Seconds",
                               "-metadata", "artist=The Testers")
    tagged = render_media.ffmpeg(folder / "markup-tags.mp3", "-f", "lavfi", "-i",
                                 f"aevalsrc='{music}':s=44100:d=2:c=stereo", "-c:a", "libmp3lame",
                                 "-b:a", "64k", "-metadata", f"title={MARKUP_TITLE}",
                                 "-metadata", f"artist={MARKUP_ARTIST}")
    text = folder / "not-audio.mp3"
    text.write_text("this is not audio at all\n" * 200)
    return {"song": song, "tagged": tagged, "text": text}
