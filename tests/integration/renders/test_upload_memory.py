"""A large upload is streamed to disk in chunks, never held whole in memory.

``make load`` measures the process RSS of a 200 MB upload on gunicorn (docs/RELIABILITY.md);
this is the in-process check: a ~50 MB WAV posted to ``POST /api/v1/renders`` while
``tracemalloc`` watches every Python allocation of the request, from the parsing of the
multipart body to the stored object.
"""

from __future__ import annotations

import json
import os
import struct
import tracemalloc

from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.integration.accounts.conftest import STRONG_PASSWORD

BODY_MB = 50
PEAK_LIMIT_MB = 8  # the parser's and the copier's buffers (1 MB chunks), nowhere near the body


def noise_wav(path, size_bytes: int, rate: int = 22050):
    """A mono 16-bit PCM WAV of ``size_bytes`` (random samples: audio, and incompressible)."""
    data_size = (size_bytes - 44) // 2 * 2
    with open(path, "wb") as out:
        out.write(b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVEfmt "
                  + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
                  + b"data" + struct.pack("<I", data_size))
        block = os.urandom(1024 * 1024)
        left = data_size
        while left:
            out.write(block[:min(left, len(block))])
            left -= min(left, len(block))
    return path


def test_a_50_mb_upload_is_never_held_in_memory(app, render_tmp, tmp_path):
    client = app.test_client()
    token = client.post("/api/v1/auth/register", json={
        "email": "big@example.com", "password": STRONG_PASSWORD}).get_json()["access_token"]
    audio = noise_wav(tmp_path / "big.wav", BODY_MB * 1024 * 1024)
    with open(audio, "rb") as fh:
        # The multipart body is encoded to a temporary file before measuring starts.
        builder = EnvironBuilder(path="/api/v1/renders", method="POST",
                                 headers={"Authorization": f"Bearer {token}"},
                                 data={"config": json.dumps({"template": "bars", "size": "720x720"}),
                                       "audio": (fh, "big.wav")})
        environ = builder.get_environ()
    tracemalloc.start()
    try:
        body_iter, status, _headers = run_wsgi_app(app, environ, buffered=True)
        body = b"".join(body_iter)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        builder.close()
    assert status.startswith("201"), body[:500]
    answer = json.loads(body)
    assert answer["status"] == "queued" and answer["audio"]["size"] == audio.stat().st_size
    assert peak < PEAK_LIMIT_MB * 1024 * 1024, f"peak {peak / 2**20:.1f} MB for a {BODY_MB} MB upload"
