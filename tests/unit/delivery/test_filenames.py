"""Download file names: sanitised, never able to break out of the header or a path."""

from __future__ import annotations

import pytest

from app.adapters.storage.base import content_disposition, sanitise_filename
from app.delivery.links import download_filename
from app.models import RenderJob


@pytest.mark.parametrize(("name", "expected"), [
    ("My Song", "My Song.mp4"),
    ("My Song.mp4", "My Song.mp4"),
    ("Björk \u2013 Jóga", "Bjork Joga.mp4"),
    ('evil"; filename="x.exe', "evil_ filename_x.exe.mp4"),
    ("../../etc/passwd", "etc_passwd.mp4"),
    ("line\r\nbreak", "line break.mp4"),
    ("日本語", "waveframe-video.mp4"),
    ("", "waveframe-video.mp4"),
    (None, "waveframe-video.mp4"),
    ("  ...  ", "waveframe-video.mp4"),
])
def test_sanitise_filename(name, expected):
    assert sanitise_filename(name) == expected


def test_sanitised_names_are_bounded():
    assert len(sanitise_filename("a" * 1000)) == 120
    assert sanitise_filename("a" * 1000).endswith(".mp4")


def test_content_disposition_is_an_attachment_with_a_quoted_safe_name():
    assert content_disposition("My Song.mp4") == 'attachment; filename="My Song.mp4"'
    header = content_disposition('Söng "live".mp4')
    assert header.startswith('attachment; filename="Song _live.mp4"')
    assert header.endswith("filename*=UTF-8''S%C3%B6ng%20live.mp4")
    assert "\r" not in content_disposition("a\r\nSet-Cookie: x=1.mp4")
    assert "\n" not in content_disposition("a\r\nSet-Cookie: x=1.mp4")


def test_download_name_is_the_title_or_else_the_original_file_name():
    job = RenderJob(config={"title": "Night Drive"}, audio_filename="track01.wav")
    assert download_filename(job) == "Night Drive.mp4"
    job = RenderJob(config={"title": "   "}, audio_filename="track01.wav")
    assert download_filename(job) == "track01.mp4"
    job = RenderJob(config={}, audio_filename="../weird/na:me?.flac")
    assert download_filename(job) == "na_me.mp4"
