"""The web app's page shells and assets: served by Flask, under a strict CSP, no inline code,
every field labelled, and the pages the emails and Stripe link to exist."""

from __future__ import annotations

import json
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.frontend.security import content_security_policy

PAGES = ["/", "/signup", "/login", "/forgot-password", "/reset-password?token=abc", "/create",
         f"/renders/{uuid.uuid4()}", f"/renders/{uuid.uuid4()}?checkout=success&session_id=cs_1",
         "/history", "/account"]
STATIC = Path(__file__).resolve().parents[3] / "app" / "frontend" / "static"


class Shell(HTMLParser):
    """Collects what the checks below look at."""

    def __init__(self):
        super().__init__()
        self.scripts, self.inline_scripts, self.handlers, self.styles = [], [], [], []
        self.fields, self.labels, self.buttons, self.links = [], set(), [], []
        self._script = None
        self._button = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [name for name in attrs if name.startswith("on")]
        if "style" in attrs:
            self.styles.append(tag)
        if tag == "style":
            self.styles.append("<style>")
        if tag == "script":
            self._script = attrs
            self.scripts.append(attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden" and "hidden" not in attrs:
            self.fields.append(attrs)
        if tag == "button":
            self._button = {"attrs": attrs, "text": ""}
        if tag in ("link", "a") and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_data(self, data):
        if self._script is not None and data.strip() and "src" not in self._script:
            self.inline_scripts.append((self._script.get("type"), data))
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None
        if tag == "button" and self._button is not None:
            self.buttons.append(self._button)
            self._button = None


def parse(html: str) -> Shell:
    shell = Shell()
    shell.feed(html)
    return shell


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_a_shell_under_a_strict_csp(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    shell = parse(response.get_data(as_text=True))
    # code comes only from files: no inline script (the JSON data block is not executed), no handlers
    assert [t for t, _ in shell.inline_scripts] == ["application/json"]
    assert shell.handlers == [] and shell.styles == []
    modules = [s["src"] for s in shell.scripts if s.get("type") == "module"]
    assert len(modules) == 1 and modules[0].startswith("/assets/js/pages/")
    assert client.get(modules[0]).status_code == 200
    # nothing from another origin
    assert all(link.startswith(("/", "#")) for link in shell.links)
    # every field has a label, every button says what it does
    for field in shell.fields:
        assert field.get("id") in shell.labels or field.get("aria-label"), field
    for button in shell.buttons:
        assert button["text"].strip() or button["attrs"].get("aria-label"), button


def test_the_page_config_comes_from_the_server_settings(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 42)
    shell = parse(client.get("/create").get_data(as_text=True))
    [(kind, data)] = shell.inline_scripts
    assert kind == "application/json" and '"max_upload_mb": 42' in data
    assert '"payments_enabled": false' in data


def test_assets_are_served_locally_with_the_app_policy(client):
    for path in ["/assets/css/base.css", "/assets/js/api.js", "/assets/js/create/analysis_worker.js",
                 "/assets/icons/icons.svg"]:
        response = client.get(path)
        assert response.status_code == 200, path
        # a worker script's own response policy applies inside the worker: it must allow 'self'
        assert response.headers["Content-Security-Policy"] == client.application.extensions["frontend_csp"]
        assert response.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/visualizer/visualizer.js").status_code == 200


def test_the_video_storage_origin_is_allowed_for_media_only():
    local = content_security_policy({"STORAGE_BACKEND": "local"})
    assert "media-src 'self' blob:;" in local
    gcs = content_security_policy({"STORAGE_BACKEND": "gcs", "STORAGE_EMULATOR_HOST": "127.0.0.1:9023"})
    assert "media-src 'self' blob: https://storage.googleapis.com http://127.0.0.1:9023;" in gcs
    assert "connect-src 'self';" in gcs and "img-src 'self' data: blob:;" in gcs


def test_no_script_inserts_markup():
    """Text from people and audio tags must never be parsed as HTML: no API that does it is used."""
    forbidden = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "DOMParser", "createContextualFragment")
    sources = sorted(STATIC.rglob("*.js"))
    assert len(sources) > 10
    for source in sources:
        text = source.read_text()
        for name in forbidden:
            assert name not in text, f"{source.relative_to(STATIC)} uses {name}"


def test_unknown_pages_and_non_uuid_jobs_are_404(client):
    assert client.get("/renders/not-a-uuid").status_code == 404
    assert client.get("/nope").status_code == 404


def test_the_limits_the_page_checks_are_the_servers(client):
    from app.renders import uploads

    shell = parse(client.get("/create").get_data(as_text=True))
    [(_kind, data)] = shell.inline_scripts
    page_config = json.loads(data)
    assert page_config["max_image_mb"] * 1024 * 1024 == uploads.MAX_IMAGE_BYTES
    assert page_config["min_audio_seconds"] == uploads.MIN_AUDIO_SECONDS
