"""Small media files for render tests, generated with FFmpeg and Pillow (never downloaded)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from PIL import Image


def ffmpeg(output: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args, str(output)], check=True,
                   timeout=120)
    return output


def tone(output: Path, seconds: float = 2.0, *, rate: int = 22050, extra: tuple[str, ...] = ()) -> Path:
    """A sine tone with a beat (so frames move), mono, in the container the suffix names."""
    source = (f"sine=frequency=440:sample_rate={rate}:duration={seconds},"
              f"volume='0.3+0.7*gt(mod(t,0.5),0.25)':eval=frame")
    return ffmpeg(output, "-f", "lavfi", "-i", source, "-ac", "1", *extra)


def silence(output: Path, seconds: float, *, rate: int = 8000) -> Path:
    """Silence: compresses to almost nothing in FLAC, so a tiny file can hold hours."""
    return ffmpeg(output, "-f", "lavfi", "-i", f"anullsrc=r={rate}:cl=mono", "-t", str(seconds),
                  "-c:a", "flac")


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48),
                color: tuple[int, int, int] = (200, 40, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


ELF_HEADER = (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00"
              + b"\x00" * 200)
