"""Page modules run in the browser on real inputs: the tag reader on every container FFmpeg
writes, the guard on the address login returns to, the checks made before an upload."""

from __future__ import annotations

import base64

import pytest

from tests.support import render_media

TITLE = "Été <b>&amp;</b> 東京"
ARTIST = 'Ça "va" — <i>x</i>'
CONTAINERS = {
    "id3v24.mp3": ("-c:a", "libmp3lame", "-id3v2_version", "4"),
    "id3v23.mp3": ("-c:a", "libmp3lame", "-id3v2_version", "3"),
    "song.flac": ("-c:a", "flac"),
    "song.ogg": ("-c:a", "libvorbis"),
    "song.opus": ("-c:a", "libopus"),
    "song.m4a": ("-c:a", "aac"),
    "song.wav": ("-c:a", "pcm_s16le"),
}


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tagged")
    files = {}
    for name, codec in CONTAINERS.items():
        tags = ("-metadata", f"title={TITLE}", "-metadata", f"artist={ARTIST}")
        files[name] = render_media.ffmpeg(folder / name, "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                                          *codec, *tags)
    return files


def read_tags(page, path):
    return page.evaluate("""async ([name, data]) => {
        const { readTags } = await import('/assets/js/create/audio_tags.js');
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        return readTags(new File([bytes], name));
    }""", [path.name, base64.b64encode(path.read_bytes()).decode()])


def test_title_and_artist_are_read_from_every_container(browse, tagged):
    page = browse().goto("/login")
    for name, path in tagged.items():
        assert read_tags(page, path) == {"title": TITLE, "artist": ARTIST}, name


def test_untagged_and_broken_files_give_no_tags(browse, tmp_path):
    page = browse().goto("/login")
    plain = render_media.tone(tmp_path / "plain.mp3", 1.0)
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + b"TIT2" + b"\xff" * 40)
    assert read_tags(page, plain) == {}
    assert read_tags(page, junk) == {}


def test_login_only_returns_to_pages_of_this_site(browse):
    page = browse().goto("/login")
    cases = {"/renders/abc?checkout=success": "/renders/abc?checkout=success", "/history": "/history",
             "//evil.example/x": "/create", "https://evil.example/": "/create", "/\\evil.example": "/create",
             "javascript:alert(1)": "/create", "": "/create", None: "/create"}
    answers = page.evaluate("""async (values) => {
        const { safeNext } = await import('/assets/js/session.js');
        return values.map((v) => safeNext(v));
    }""", list(cases))
    assert dict(zip(cases, answers, strict=True)) == cases


def test_files_are_checked_by_name_type_and_size_before_upload(browse):
    page = browse().goto("/login")
    problems = page.evaluate("""async () => {
        const { audioFileProblem, imageFileProblem } = await import('/assets/js/create/files.js');
        const file = (name, type, size) => new File([new Uint8Array(size)], name, { type });
        const limits = { maxUploadMb: 1, maxImageMb: 1 };
        return [
          audioFileProblem(file('song.mp3', 'audio/mpeg', 10), limits),
          audioFileProblem(file('voice.m4a', '', 10), limits),
          audioFileProblem(file('notes.txt', 'text/plain', 10), limits),
          audioFileProblem(file('song.mp3', 'audio/mpeg', 0), limits),
          audioFileProblem(file('big.wav', 'audio/wav', 2 * 1024 * 1024), limits),
          imageFileProblem(file('cover.gif', 'image/gif', 10), limits, 'cover image'),
          imageFileProblem(file('cover.png', 'image/png', 10), limits, 'cover image'),
        ];
    }""")
    assert problems[0] == "" and problems[1] == ""
    assert "does not look like an audio file" in problems[2]
    assert "is empty" in problems[3]
    assert "2.0 MB; the largest file you can upload is 1 MB" in problems[4]
    assert problems[5] == "The cover image must be a PNG, JPEG or WebP image." and problems[6] == ""
