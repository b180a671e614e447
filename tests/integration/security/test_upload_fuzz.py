"""The upload validator fuzzed through ``POST /api/v1/renders``: random bytes, truncated real
audio, polyglots (an audio signature followed by HTML, a ZIP, a script) and images named as
audio. Never a 500; never accepted unless it really is audio; a refusal leaves nothing behind
(no row, no stored object, no queue entry, no temp file)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.adapters import get_storage
from tests.integration.fuzz.conftest import examples
from tests.integration.renders.conftest import NOTHING, leftovers
from tests.support import render_media

CONFIG = json.dumps({"template": "bars", "size": "720x720", "fps": 24})
HTML = b"<!doctype html><html><script>alert(1)</script></html>" * 20


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.html", HTML)
    return buffer.getvalue()


AUDIO_SIGNATURES = [
    b"ID3\x04\x00\x00\x00\x00\x00\x00",
    b"fLaC",
    b"OggS\x00\x02",
    b"\xff\xfb\x90\x64",
    b"RIFF\x24\x00\x00\x00WAVEfmt ",
    b"\x00\x00\x00\x20ftypM4A ",
    b"\x1a\x45\xdf\xa3",
]


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("upload-fuzz")
    return {
        name: Path(render_media.tone(folder / f"t.{name}", 1.0, **kw)).read_bytes()
        for name, kw in (
            ("mp3", {"extra": ("-b:a", "64k")}),
            ("wav", {}),
            ("flac", {}),
            ("m4a", {"extra": ("-c:a", "aac")}),
        )
    }


def not_audio(real: dict[str, bytes]):
    """Strategies of bodies that are not audio, whatever their first bytes claim."""
    images = st.sampled_from(
        [
            render_media.image_bytes("PNG"),
            render_media.image_bytes("JPEG"),
            render_media.image_bytes("WEBP"),
            render_media.image_bytes("GIF"),
        ]
    )
    payloads = st.sampled_from(
        [
            HTML,
            zip_bytes(),
            b"#!/bin/sh\nrm -rf /\n" * 30,
            render_media.ELF_HEADER,
            b"%PDF-1.4\n" + b"0" * 500,
        ]
    )
    return st.one_of(
        st.binary(min_size=0, max_size=4096),
        images,
        st.tuples(st.sampled_from(AUDIO_SIGNATURES), payloads).map(b"".join),  # polyglots
        st.tuples(st.sampled_from(AUDIO_SIGNATURES), st.binary(max_size=2048)).map(b"".join),
        # a real file's first bytes only (its header, no samples)
        st.tuples(st.sampled_from(sorted(real)), st.integers(0, 40)).map(lambda p: real[p[0]][: p[1]]),
    )


def fuzz_settings(default: int) -> settings:
    return settings(
        max_examples=examples(default),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def upload(client, headers, body: bytes, filename: str):
    return client.post(
        "/api/v1/renders",
        headers=headers,
        content_type="multipart/form-data",
        data={"audio": (io.BytesIO(body), filename), "config": CONFIG},
    )


def test_what_is_not_audio_is_refused_and_leaves_nothing(
    app, client, user_factory, auth_headers, render_tmp, real
):
    user = user_factory()
    headers = auth_headers(user)

    @given(
        body=not_audio(real),
        name=st.sampled_from(["song.mp3", "a.wav", "x.flac", "noext", "../../etc/passwd.ogg", "a.mp3.html"]),
    )
    @fuzz_settings(40)
    def run(body, name):
        response = upload(client, headers, body, name)
        assert response.status_code in (413, 415, 422), (response.status_code, body[:40])
        assert response.json["error"]["code"]
        assert leftovers(user, render_tmp) == NOTHING

    run()


def test_truncated_and_padded_real_audio_is_never_a_500(
    app, client, user_factory, auth_headers, render_tmp, real
):
    user = user_factory()
    headers = auth_headers(user)

    @given(
        kind=st.sampled_from(sorted(real)),
        cut=st.floats(0.0, 1.0),
        tail=st.sampled_from([b"", HTML, zip_bytes()]),
    )
    @fuzz_settings(20)
    def run(kind, cut, tail):
        whole = real[kind]
        body = whole[: int(len(whole) * cut)] + tail
        response = upload(client, headers, body, f"t.{kind}")
        assert response.status_code in (201, 413, 415, 422), (kind, cut, response.status_code)
        if response.status_code == 201:
            # accepted: it really is audio that decodes, and the stored object is the upload
            assert response.json["audio"]["duration"] > 0
            job_id = response.json["id"]
            client.post(f"/api/v1/renders/{job_id}/cancel", headers=headers)
            get_storage().delete_prefix(f"uploads/{user.id}/")
        else:
            found = leftovers(user, render_tmp)
            assert found["objects"] == [] and found["temp"] == [], found

    run()
