"""Media generated with FFmpeg for the render tests (nothing binary is committed)."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

CHROMIUM = "/usr/bin/chromium"

# kick + bass + noise hits: a clip that clearly "moves"
MUSIC = (
    "0.6*sin(2*PI*(45+60*exp(-30*mod(t,0.5)))*t)*exp(-7*mod(t,0.5))"
    "+0.15*sin(2*PI*220*t)+0.2*(random(0)-0.5)*exp(-30*mod(t+0.25,0.5))"
)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True)


def make_audio(path: Path, expr: str, seconds: float, *codec: str, rate: int = 44100, layout: str = "stereo"):
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{expr}':s={rate}:d={seconds}:c={layout}", *codec, str(path))
    return path


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("render-media")
    clips = {
        "music": make_audio(root / "music.m4a", MUSIC, 2, "-c:a", "aac", "-b:a", "128k"),
        "loud": make_audio(root / "loud.wav", MUSIC, 2),
        "silent": make_audio(root / "silent.wav", "0", 2),
        "mp3": make_audio(root / "tone.mp3", "0.4*sin(2*PI*440*t)", 2, "-c:a", "libmp3lame", "-b:a", "128k"),
        "flac": make_audio(root / "tone.flac", "0.4*sin(2*PI*440*t)", 2, "-c:a", "flac"),
        "ogg": make_audio(root / "tone.ogg", "0.4*sin(2*PI*440*t)", 2, "-c:a", "libvorbis"),
        "mono48k": make_audio(root / "mono48k.wav", MUSIC, 2, rate=48000, layout="mono"),
        "long": make_audio(root / "long.m4a", MUSIC, 20, "-c:a", "aac", "-b:a", "96k"),
        # silent for the first second, loud after: trimming must move the features too
        "step": make_audio(root / "step.wav", "if(gte(t,1),0.6*sin(2*PI*330*t),0)", 3),
    }
    # a WAV whose header promises 2 s but only ~0.5 s of samples follow
    whole = (root / "loud.wav").read_bytes()
    (root / "truncated.wav").write_bytes(whole[: 44 + 44100 * 2 * 2 // 2])
    clips["truncated"] = root / "truncated.wav"
    (root / "text.mp3").write_text("this is not audio at all\n" * 200)
    clips["text"] = root / "text.mp3"
    (root / "empty.wav").write_bytes(b"")
    clips["empty"] = root / "empty.wav"
    clips["elf"] = root / "program.ogg"
    shutil.copy("/bin/true", clips["elf"])
    clips["image"] = root / "picture.wav"
    Image.new("RGB", (64, 64), (200, 30, 30)).save(clips["image"], format="PNG")
    clips["headeronly"] = root / "headeronly.wav"
    clips["headeronly"].write_bytes(whole[:44])
    return clips


@pytest.fixture(scope="session")
def images(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("render-images")
    background = Image.new("RGB", (640, 400))
    draw = ImageDraw.Draw(background)
    for x in range(0, 640, 32):
        draw.rectangle([x, 0, x + 16, 400], fill=(220, 120, 40))
    draw.ellipse([170, 50, 470, 350], fill=(40, 160, 220))
    background.save(root / "background.jpg", quality=90)
    cover = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(cover).ellipse([0, 0, 300, 300], fill=(250, 220, 60, 255))
    cover.save(root / "cover.png")
    return {"background": root / "background.jpg", "cover": root / "cover.png"}


class CanaryServer:
    """A loopback HTTP server that records every request it receives."""

    def __init__(self):
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.hits = hits
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary():
    server = CanaryServer()
    yield server
    server.close()


def probe_streams(path: Path) -> dict:
    import json

    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_packets",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        check=True,
    )
    return json.loads(out.stdout)


def decode_frame(path: Path, index: int, width: int, height: int) -> bytes:
    """Frame ``index`` of a video as raw RGB."""
    out = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-vf",
            f"select=eq(n\\,{index})",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    )
    assert len(out.stdout) == width * height * 3
    return out.stdout
