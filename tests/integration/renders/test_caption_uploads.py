"""POST /renders with captions: an SRT/WebVTT part or cues in the config; refusals name the line."""

from __future__ import annotations

import io
import json
import uuid

import pytest

from app.extensions import db
from app.models import RenderJob
from tests.integration.renders.conftest import NOTHING, leftovers

SRT = b"1\n00:00:00,500 --> 00:00:01,000\nHello <i>you</i>\n\n2\n00:00:01,000 --> 00:00:01,900\nBye\n"
VTT = b"WEBVTT\n\n00:00.500 --> 00:01.000\n<v Sam>Hi</v> <c.loud>there</c>\n"


@pytest.fixture
def owner(user_factory):
    return user_factory()


def post(client, headers, media, *, captions: bytes | None = None, config: dict | None = None):
    form = {"audio": (io.BytesIO(media["mp3"].read_bytes()), "song.mp3"),
            "config": json.dumps(config or {"template": "bars", "size": "720x720", "fps": 24})}
    if captions is not None:
        form["captions"] = (io.BytesIO(captions), "subs.srt")
    return client.post("/api/v1/renders", data=form, headers=headers, content_type="multipart/form-data")


def test_an_srt_file_becomes_the_jobs_cues(client, owner, auth_headers, media, render_tmp):
    config = {"template": "bars", "size": "720x720", "fps": 24,
              "captions": {"position": "top", "size": "large", "color": "#ffee00"}}
    response = post(client, auth_headers(owner), media, captions=SRT, config=config)
    assert response.status_code == 201, response.json
    expected = {"position": "top", "size": "large", "color": "#ffee00", "background": True,
                "cues": [{"start": 0.5, "end": 1.0, "text": "Hello you"},
                         {"start": 1.0, "end": 1.9, "text": "Bye"}]}
    assert response.json["config"]["captions"] == expected
    assert db.session.get(RenderJob, uuid.UUID(response.json["id"])).config["captions"] == expected
    assert list((render_tmp / "uploads").iterdir()) == []


def test_webvtt_tags_arrive_as_text(client, owner, auth_headers, media, render_tmp):
    response = post(client, auth_headers(owner), media, captions=VTT)
    assert response.status_code == 201, response.json
    assert response.json["config"]["captions"]["cues"] == [{"start": 0.5, "end": 1.0, "text": "Hi there"}]


def test_typed_cues_need_no_file(client, owner, auth_headers, media, render_tmp):
    config = {"template": "wave", "captions": {"cues": [{"start": 0, "end": 1.5, "text": "typed"}]}}
    response = post(client, auth_headers(owner), media, config=config)
    assert response.status_code == 201, response.json
    assert response.json["config"]["captions"]["cues"] == [{"start": 0.0, "end": 1.5, "text": "typed"}]


BAD_FILES = [
    ("bad times", b"1\n00:00:00,500 --> 00:00:01,000\nok\n\n2\n0:0:1 --> 0:0:2\nbad\n", 6),
    ("ends before it starts", b"1\n00:00:01,500 --> 00:00:01,000\nx\n", 2),
    ("not utf-8", b"1\n00:00:00,500 --> 00:00:01,000\n\xff\xfe oops\n", 3),
    ("vtt without header", b"00:00.500 --> 00:01.000\nx\n", 1),
]


@pytest.mark.parametrize(("label", "data", "line"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_malformed_file_is_422_with_its_line_and_leaves_nothing(client, owner, auth_headers, media,
                                                                  render_tmp, label, data, line):
    response = post(client, auth_headers(owner), media, captions=data)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "invalid_captions"
    assert error["details"]["line"] == line
    assert error["details"]["fields"]["captions"][0].startswith(f"Line {line}: ")
    assert f"Line {line}" in error["message"]
    assert leftovers(owner, render_tmp) == NOTHING


def test_cues_past_the_audio_are_422(client, owner, auth_headers, media, render_tmp):
    late = b"1\n00:00:01,000 --> 00:00:09,000\ntoo late\n"
    response = post(client, auth_headers(owner), media, captions=late)
    assert response.status_code == 422
    assert "ends after the audio" in response.json["error"]["details"]["fields"]["captions"][0]
    assert leftovers(owner, render_tmp) == NOTHING


def test_a_file_and_typed_cues_together_are_422(client, owner, auth_headers, media, render_tmp):
    config = {"template": "bars", "captions": {"cues": [{"start": 0, "end": 1, "text": "typed"}]}}
    response = post(client, auth_headers(owner), media, captions=SRT, config=config)
    assert response.status_code == 422
    assert "captions" in response.json["error"]["details"]["fields"]
    assert leftovers(owner, render_tmp) == NOTHING


def test_an_oversized_file_is_413(client, owner, auth_headers, media, render_tmp):
    response = post(client, auth_headers(owner), media, captions=b"1\n" + b"x" * (600 * 1024))
    assert response.status_code == 413
    assert response.json["error"]["details"]["field"] == "captions"
    assert leftovers(owner, render_tmp) == NOTHING


def test_templates_document_describes_captions(client):
    schema = client.get("/api/v1/templates").json["config_schema"]["properties"]["captions"]
    assert set(schema["properties"]) == {"cues", "position", "size", "color", "background"}
    assert schema["properties"]["cues"]["items"]["required"] == ["start", "end", "text"]


def test_the_parse_endpoint_reads_a_file_with_the_renders_parser(client, owner, auth_headers, render_tmp):
    headers = auth_headers(owner)

    def parse(data: bytes, **form):
        return client.post("/api/v1/captions/parse", headers=headers, content_type="multipart/form-data",
                           data={"captions": (io.BytesIO(data), "subs.vtt"), **form})

    good = parse(b"WEBVTT\n\n00:00.500 --> 00:01.500\n<v Ann>Hello <c.loud>there</c>\n")
    assert good.status_code == 200, good.json
    assert good.json == {"cues": [{"start": 0.5, "end": 1.5, "text": "Hello there"}]}
    broken = parse(b"WEBVTT\n\n00:00.500 --> 00:01.500\nfine\n\n00:02.000 -> 00:03.000\nbad arrow\n")
    assert broken.status_code == 422
    assert broken.json["error"]["details"]["line"] == 6 and "Line 6" in broken.json["error"]["message"]
    late = parse(b"1\n00:00:01,000 --> 00:00:09,000\nlate\n", duration="2.0")
    assert late.status_code == 422 and "ends after the audio" in late.json["error"]["message"]
    assert client.post("/api/v1/captions/parse", data={}).status_code == 401
    assert list((render_tmp / "uploads").iterdir()) == []
