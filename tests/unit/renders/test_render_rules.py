"""Rules of the render-job service that need no I/O."""

from __future__ import annotations

import pytest
from rq.exceptions import AbandonedJobError
from rq.timeouts import JobTimeoutException

from app.adapters.storage.base import StorageError, StorageNotFound
from app.rendering.errors import AudioUnsupported, RenderFailed, RenderTimeout
from app.renders.queueing import (
    MAX_JOB_TIMEOUT,
    MIN_JOB_TIMEOUT,
    choose_priority,
    job_timeout,
    rq_job_id_for,
)
from app.renders.tasks import user_facing_error
from app.renders.uploads import clean_filename, image_format, looks_like_audio
from tests.support import render_media


@pytest.mark.parametrize(("seconds", "admin", "queue"), [
    (2, False, "high"), (59.9, False, "high"), (60, False, "default"), (599, False, "default"),
    (600, False, "low"), (3600, False, "low"), (3600, True, "high"),
])
def test_priority_by_length_and_admin(seconds, admin, queue):
    assert choose_priority(seconds, admin=admin) == queue


def test_timeout_grows_with_length_resolution_and_fps_and_is_bounded():
    short = job_timeout(2, "1280x720", 30)
    assert short >= MIN_JOB_TIMEOUT
    assert job_timeout(600, "1280x720", 30) > short
    assert job_timeout(600, "1920x1080", 30) > job_timeout(600, "1280x720", 30)
    assert job_timeout(600, "1280x720", 60) > job_timeout(600, "1280x720", 30)
    assert job_timeout(3600, "1920x1080", 60) == MAX_JOB_TIMEOUT


def test_rq_job_id_names_job_and_attempt():
    assert rq_job_id_for("abc", 3) == "render-abc-3"


@pytest.mark.parametrize(("head", "expected"), [
    (b"ID3\x04\x00", True), (b"\xff\xfb\x90\x00", True), (b"fLaC\x00", True), (b"OggS\x00", True),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", True), (b"\x00\x00\x00\x20ftypM4A ", True),
    (b"FORM\x00\x00\x00\x00AIFF", True), (b"\x1a\x45\xdf\xa3", True),
    (b"\x89PNG\r\n\x1a\n", False), (render_media.ELF_HEADER[:16], False), (b"hello world", False),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", False), (b"%PDF-1.7", False), (b"PK\x03\x04", False), (b"", False),
])
def test_audio_signatures(head, expected):
    assert looks_like_audio(head) is expected


def test_image_signatures():
    assert image_format(render_media.image_bytes("PNG")[:16]) == "PNG"
    assert image_format(render_media.image_bytes("JPEG")[:16]) == "JPEG"
    assert image_format(render_media.image_bytes("WEBP")[:16]) == "WEBP"
    assert image_format(render_media.image_bytes("GIF")[:16]) is None


@pytest.mark.parametrize(("name", "expected"), [
    ("song.mp3", "song.mp3"), ("../../etc/passwd", "passwd"), ("C:\\Users\\me\\track.wav", "track.wav"),
    ("bad\x00name\n.mp3", "badname.mp3"), ("", "audio"), (None, "audio"), ("..", "audio"),
])
def test_client_file_names_are_cleaned(name, expected):
    assert clean_filename(name) == expected


def test_user_facing_errors_never_expose_internals():
    assert user_facing_error(RenderTimeout, RenderTimeout())[0] == "render_timeout"
    failed = RenderFailed("The browser crashed.", code="browser_crashed", detail="segfault at 0x0")
    assert user_facing_error(RenderFailed, failed) == ("browser_crashed", "The browser crashed.")
    assert user_facing_error(AudioUnsupported, AudioUnsupported())[0] == "unsupported_audio"
    assert user_facing_error(JobTimeoutException, JobTimeoutException("x"))[0] == "render_timeout"
    assert user_facing_error(AbandonedJobError, AbandonedJobError())[0] == "worker_lost"
    assert user_facing_error(StorageNotFound, StorageNotFound("k"))[0] == "input_missing"
    assert user_facing_error(StorageError, StorageError("503"))[0] == "storage_unavailable"
    code, message = user_facing_error(KeyError, KeyError("secret internal detail"))
    assert code == "render_failed" and "secret" not in message


def test_an_encode_that_failed_on_a_full_temp_disk_is_disk_full(tmp_path, monkeypatch):
    """Found by `make chaos` (temp disk full, 1 in 10): the background AAC encoder left a
    truncated audio.m4a and exited cleanly, the mux then failed with "moov atom not found" and
    the user read "could not be encoded" instead of "ran out of disk space"."""
    import shutil
    from collections import namedtuple

    from app.rendering import pipeline
    usage = namedtuple("usage", "total used free")
    failed = RenderFailed("The video could not be encoded.", code="encode_failed",
                          detail="audio.m4a: moov atom not found")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(256 << 20, (256 << 20) - 4096, 4096))
    error = pipeline.disk_full_error(failed, tmp_path)
    assert error is not None
    try:
        raise error from failed
    except OSError as raised:
        assert user_facing_error(OSError, raised)[0] == "disk_full"
    other = RenderFailed("The browser crashed.", code="browser_crashed")
    assert pipeline.disk_full_error(other, tmp_path) is None  # only a failed encode
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(256 << 20, 0, 256 << 20))
    assert pipeline.disk_full_error(failed, tmp_path) is None  # room left: a real encode error
    assert user_facing_error(RenderFailed, failed)[0] == "encode_failed"
