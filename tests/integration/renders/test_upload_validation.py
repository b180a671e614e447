"""POST /renders: what is accepted, what is refused, and that a refusal leaves nothing behind."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from PIL import Image

from app.adapters import get_storage
from app.extensions import db
from app.models import RenderJob
from app.renders.uploads import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE
from app.tasks.jobs import fetch_job
from tests.integration.renders.conftest import NOTHING, leftovers, upload
from tests.support import render_media


@pytest.fixture
def owner(user_factory):
    return user_factory()


def test_valid_mp3_creates_a_queued_job_with_stored_audio(client, owner, auth_headers, media, render_tmp):
    response = upload(client, auth_headers(owner), media["mp3"], filename="../../My Song.mp3",
                      config={"template": "bars", "size": "720x720", "fps": 24, "title": "<b>Hi</b>"})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "queued"
    assert body["attempts"] == 1 and body["progress"] == 0 and body["error"] is None
    assert body["priority"] == "high"  # 2 s of audio
    assert body["config"]["title"] == "<b>Hi</b>"  # stored as text, as given
    assert body["config"]["trim_end"] == pytest.approx(2.0, abs=0.1)
    assert body["audio"]["filename"] == "My Song.mp3"
    assert body["audio"]["format"] == "mp3"
    assert body["audio"]["duration"] == pytest.approx(2.0, abs=0.1)
    assert body["price"] == {"amount": 199, "currency": "usd"}

    job = db.session.get(RenderJob, uuid.UUID(body["id"]))
    assert job.audio_key == f"uploads/{owner.id}/{job.id}/audio.mp3"  # generated, not the client's name
    assert get_storage().stat(job.audio_key).size == media["mp3"].stat().st_size
    rq_job = fetch_job(f"render-{job.id}-1")
    assert rq_job is not None and rq_job.origin == "high" and rq_job.get_status() == "queued"
    assert list((render_tmp / "uploads").iterdir()) == []  # the upload's temp folder is gone


def test_container_decides_the_extension_not_the_name(client, owner, auth_headers, media, render_tmp):
    response = upload(client, auth_headers(owner), media["m4a"], filename="track.mp3")
    assert response.status_code == 201, response.json
    assert response.json["audio"]["format"] == "mov"
    job = db.session.get(RenderJob, uuid.UUID(response.json["id"]))
    assert job.audio_key.endswith("/audio.m4a")


def test_background_image_is_checked_reencoded_and_wired_to_the_template(
        client, owner, auth_headers, media, render_tmp):
    jpeg = io.BytesIO()
    image = Image.new("RGB", (80, 60), (10, 200, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # metadata that must not survive re-encoding
    image.save(jpeg, format="JPEG", exif=exif)
    response = upload(client, auth_headers(owner), media["wav"], filename="a.wav",
                      background=jpeg.getvalue())
    assert response.status_code == 201, response.json
    assert response.json["config"]["options"]["background_image"] == "background"
    job = db.session.get(RenderJob, uuid.UUID(response.json["id"]))
    assert job.background_key == f"uploads/{owner.id}/{job.id}/background.png"
    stored = render_tmp.parent / "bg.png"
    get_storage().download_to(job.background_key, stored)
    with Image.open(stored) as png:
        assert png.format == "PNG" and png.size == (80, 60)
        assert not png.getexif()


def test_with_payments_on_the_job_waits_for_payment(paying_client, owner, auth_headers, media,
                                                   render_tmp):
    response = upload(paying_client, auth_headers(owner), media["mp3"])
    assert response.status_code == 201, response.json
    assert response.json["status"] == "awaiting_payment"
    assert response.json["attempts"] == 0 and response.json["queued_at"] is None
    assert response.json["price"] == {"amount": 199, "currency": "usd"}
    found = leftovers(owner)
    assert found["rows"] == 1 and found["queued"] == 0 and found["rq_jobs"] == []


def _truncated_wav(media):
    return media["wav"].read_bytes()[:40]


def _truncated_m4a(media):
    data = media["m4a"].read_bytes()  # moov atom at the end: without it nothing decodes
    return data[: len(data) // 2]


BAD_AUDIO = [
    ("text renamed .mp3", lambda m: b"hello, this is not music at all\n" * 50, "x.mp3", 415,
     "unsupported_audio"),
    ("png renamed .mp3", lambda m: render_media.image_bytes("PNG"), "x.mp3", 415, "unsupported_audio"),
    ("elf renamed .wav", lambda m: render_media.ELF_HEADER, "x.wav", 415, "unsupported_audio"),
    ("empty", lambda m: b"", "x.mp3", 415, "unsupported_audio"),
    ("truncated wav header", _truncated_wav, "x.wav", 415, "unsupported_audio"),
    ("truncated m4a", _truncated_m4a, "x.m4a", 415, "unsupported_audio"),
    ("over-long (tiny file, an hour of silence)", lambda m: m["long_silence"].read_bytes(), "x.flac",
     422, "audio_too_long"),
]


@pytest.mark.parametrize(("label", "make", "filename", "status", "code"), BAD_AUDIO,
                         ids=[case[0] for case in BAD_AUDIO])
def test_bad_audio_is_refused_and_leaves_nothing(client, owner, auth_headers, media, render_tmp,
                                                 label, make, filename, status, code):
    response = upload(client, auth_headers(owner), make(media), filename=filename)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert set(response.json["error"]) == {"code", "message", "details"}
    assert leftovers(owner, render_tmp) == NOTHING


def test_oversized_audio_is_refused_while_streaming(client, app, owner, auth_headers, render_tmp,
                                                    monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    big = b"ID3" + b"\x00" * (1024 * 1024 + 10)
    response = upload(client, auth_headers(owner), big)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "upload_too_large"
    assert response.json["error"]["details"]["field"] == "audio"
    assert leftovers(owner, render_tmp) == NOTHING


BAD_CONFIGS = [
    ("not json", "{template: bars", "config"),
    ("not an object", "[1, 2]", "config"),
    ("unknown template", {"template": "lasers"}, "config.template"),
    ("missing template", {"size": "720x720"}, "config.template"),
    ("bad fps", {"template": "bars", "fps": 25}, "config.fps"),
    ("bad size", {"template": "bars", "size": "100x100"}, "config.size"),
    ("bad colour", {"template": "bars", "options": {"bar_color": "red; background:url(x)"}},
     "config.options.bar_color"),
    ("unknown option", {"template": "wave", "options": {"onload": "x"}}, "config.options.onload"),
    ("title too long", {"template": "bars", "title": "x" * 500}, "config.title"),
    ("trim past the end", {"template": "bars", "trim_start": 0, "trim_end": 9}, "config.trim_end"),
    ("trim start past the end", {"template": "bars", "trim_start": 5}, "config.trim_start"),
    ("image option without an upload", {"template": "bars", "options": {"background_image": "background"}},
     "config.options.background_image"),
    ("image option as a url", {"template": "bars", "options": {"background_image": "http://127.0.0.1/x.png"}},
     "config.options.background_image"),
]


@pytest.mark.parametrize(("label", "config", "field"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_422_naming_the_field(client, owner, auth_headers, media, render_tmp,
                                            label, config, field):
    response = upload(client, auth_headers(owner), media["mp3"], config=config)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"], response.json
    assert leftovers(owner, render_tmp) == NOTHING


def test_missing_parts_are_422(client, owner, auth_headers, media, render_tmp):
    headers = auth_headers(owner)
    no_audio = client.post("/api/v1/renders", headers=headers, content_type="multipart/form-data",
                           data={"config": json.dumps({"template": "bars"})})
    assert no_audio.status_code == 422
    assert "audio" in no_audio.json["error"]["details"]["fields"]
    no_config = client.post("/api/v1/renders", headers=headers, content_type="multipart/form-data",
                            data={"audio": (io.BytesIO(media["mp3"].read_bytes()), "a.mp3")})
    assert no_config.status_code == 422
    assert "config" in no_config.json["error"]["details"]["fields"]
    assert leftovers(owner, render_tmp) == NOTHING


BAD_IMAGES = [
    ("text as background", "background", b"just text, not a picture" * 10, 415, "unsupported_image"),
    ("gif background", "background", render_media.image_bytes("GIF"), 415, "unsupported_image"),
    ("truncated png", "background", render_media.image_bytes("PNG", (300, 300))[:60], 415,
     "unsupported_image"),
    ("too small", "background", render_media.image_bytes("PNG", (4, 4)), 422, "invalid_image_size"),
    ("cover on a template without one", "cover", render_media.image_bytes("PNG"), 422, "invalid_field"),
]


@pytest.mark.parametrize(("label", "part", "content", "status", "code"), BAD_IMAGES,
                         ids=[c[0] for c in BAD_IMAGES])
def test_bad_images_are_refused_and_leave_nothing(client, owner, auth_headers, media, render_tmp,
                                                  label, part, content, status, code):
    response = upload(client, auth_headers(owner), media["mp3"], **{part: content})
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert leftovers(owner, render_tmp) == NOTHING


def _png_of(size: tuple[int, int]) -> bytes:
    """A real PNG of that many pixels (one bit deep: a few KB even for 40 megapixels)."""
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_image_over_the_byte_limit_is_413_while_streaming(client, owner, auth_headers, media,
                                                              render_tmp):
    png_signature = render_media.image_bytes("PNG")[:16]
    oversized = png_signature + b"\x00" * MAX_IMAGE_BYTES  # one chunk past the limit
    response = upload(client, auth_headers(owner), media["mp3"], background=oversized)
    assert response.status_code == 413, response.json
    error = response.json["error"]
    assert error["code"] == "upload_too_large"
    assert error["details"] == {"field": "background", "limit_bytes": MAX_IMAGE_BYTES}
    assert leftovers(owner, render_tmp) == NOTHING


@pytest.mark.parametrize(("label", "size"), [
    ("a side past the limit", (MAX_IMAGE_SIDE + 1, 16)),
    ("too many pixels", (7000, MAX_IMAGE_PIXELS // 7000 + 1)),  # both sides allowed
], ids=["side", "pixels"])
def test_an_image_over_the_size_limit_is_422(client, owner, auth_headers, media, render_tmp,
                                             label, size):
    response = upload(client, auth_headers(owner), media["mp3"], background=_png_of(size))
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid_image_size"
    assert "background" in response.json["error"]["details"]["fields"]
    assert leftovers(owner, render_tmp) == NOTHING


def test_an_image_at_the_size_limits_is_accepted(client, owner, auth_headers, media, render_tmp):
    response = upload(client, auth_headers(owner), media["mp3"],
                      background=_png_of((MAX_IMAGE_SIDE, 16)))
    assert response.status_code == 201, response.json
    job = db.session.get(RenderJob, uuid.UUID(response.json["id"]))
    stored = render_tmp.parent / "wide.png"
    get_storage().download_to(job.background_key, stored)
    with Image.open(stored) as png:  # kept, scaled down to the stored size
        assert png.size == (3840, 8)


def test_webp_cover_is_accepted_for_the_radial_template(client, owner, auth_headers, media, render_tmp):
    response = upload(client, auth_headers(owner), media["mp3"],
                      config={"template": "radial", "size": "720x720", "fps": 24},
                      cover=render_media.image_bytes("WEBP"))
    assert response.status_code == 201, response.json
    assert response.json["config"]["options"]["cover_image"] == "cover"
    job_id = response.json["id"]
    assert get_storage().exists(f"uploads/{owner.id}/{job_id}/cover.png")


def test_upload_needs_a_login(client, media):
    response = client.post("/api/v1/renders", content_type="multipart/form-data",
                           data={"audio": (io.BytesIO(media["mp3"].read_bytes()), "a.mp3"),
                                 "config": json.dumps({"template": "bars"})})
    assert response.status_code == 401
