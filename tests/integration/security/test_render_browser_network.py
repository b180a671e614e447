"""The render browser reaches nothing but the files it is served: canary HTTP servers on every
loopback and private address this machine can bind (127.0.0.1, 127.0.0.2, ::1, and its own
private interface addresses -- never another machine) get 0 requests from a page that tries
fetch, XHR, images, CSS, fonts, beacons, WebSocket, iframes and navigation against each, and
from a real render whose title and artist carry the same URLs."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import subprocess
import threading

import pytest

from app.rendering.analysis import analyze_file
from app.rendering.capture import CaptureSession
from app.rendering.catalog import normalize_config
from app.rendering.pipeline import render_video
from tests.integration.rendering.conftest import CHROMIUM, make_audio
from tests.integration.rendering.test_capture import ESCAPES

pytestmark = pytest.mark.slow


class Canary:
    """An HTTP server on one local address that records every request (any method)."""

    def __init__(self, host: str):
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _hit(self):
                hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_OPTIONS = do_HEAD = _hit

            def log_message(self, *args):
                pass

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("Server", (http.server.ThreadingHTTPServer,), {"address_family": family})
        self.hits = hits
        self.server = server_class((host, 0), Handler)
        port = self.server.server_address[1]
        self.url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def local_private_addresses() -> list[str]:
    """This machine's own non-loopback private addresses (on its interfaces, so never remote)."""
    out = subprocess.run(["ip", "-o", "addr", "show"], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[2] in ("inet", "inet6"):
            address = ipaddress.ip_address(parts[3].split("/")[0])
            if address.is_private and not address.is_loopback and not address.is_link_local:
                found.append(str(address))
    return found


@pytest.fixture(scope="module")
def canaries():
    started = []
    for host in ["127.0.0.1", "127.0.0.2", "::1", *local_private_addresses()]:
        try:
            started.append(Canary(host))
        except OSError:  # e.g. no IPv6 loopback in this container
            continue
    assert any(c.url.startswith("http://127.0.0.1") for c in started)
    yield started
    for canary in started:
        canary.close()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_audio(tmp_path_factory.mktemp("canary") / "a.wav", "0.4*sin(2*PI*440*t)", 1)


def test_the_visualizer_page_reaches_no_local_or_private_address(canaries, clip, tmp_path):
    features = analyze_file(clip, tmp_path / "f.bin", fps=24, source_rate=44100)
    config = normalize_config({"template": "wave", "size": "720x720", "fps": 24})
    outcomes = {}
    with CaptureSession(config=config, features=features, chromium_path=CHROMIUM) as session:
        bare = session._page.context.new_page()  # no CSP at all: request routing alone
        for canary in canaries:
            outcomes[canary.url] = (session.evaluate(ESCAPES, canary.url), bare.evaluate(ESCAPES, canary.url))
        blocked = list(session.blocked)
    assert {c.url: c.hits for c in canaries} == {c.url: [] for c in canaries}
    for url, pair in outcomes.items():
        for outcome in pair:
            for way in ("fetch", "image", "xhr", "font", "websocket"):
                assert outcome[way] != "ok", (url, way, outcome)
        assert f"{url}/fetch" in blocked  # aborted by request routing, not by luck


def test_a_render_with_canaries_in_its_text_contacts_none(canaries, clip, tmp_path):
    first, last = canaries[0].url, canaries[-1].url  # loopback, and a private one when bindable
    result = render_video(
        clip,
        tmp_path / "x.mp4",
        {
            "template": "bars",
            "size": "720x720",
            "fps": 24,
            "title": f'<img src="{first}/t.png">',
            "artist": f'<img src="{last}/a.png">',
        },
        chromium_path=CHROMIUM,
    )
    assert result.frame_count == 24
    assert {c.url: c.hits for c in canaries} == {c.url: [] for c in canaries}
