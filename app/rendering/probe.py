"""What an uploaded file really is, read by ffprobe (never by its name or declared type)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from app.rendering.errors import AudioUnsupported
from app.rendering.proc import FFMPEG, FFPROBE, run_tool

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 30.0
DECODE_TIMEOUT = 300.0
# Containers that hold pictures, not sound, even when ffprobe reports a (still-image) codec.
_IMAGE_CODECS = {"png", "mjpeg", "gif", "bmp", "webp", "tiff", "jpeg2000"}
_PCM_PREFIX = "pcm_"


@dataclass(frozen=True)
class AudioInfo:
    format_name: str  # container as ffprobe names it, e.g. "mp3", "wav", "mov,mp4,m4a,3gp,3g2,mj2"
    codec: str  # e.g. "mp3", "aac", "pcm_s16le", "flac", "vorbis", "opus"
    duration: float  # seconds of audio actually present (decoded when the header lies or is missing)
    sample_rate: int
    channels: int
    bit_rate: int | None

    @property
    def container(self) -> str:
        return self.format_name.split(",")[0]

    def to_dict(self) -> dict:
        return {**asdict(self), "container": self.container}


def probe_audio(path: str | os.PathLike) -> AudioInfo:
    """Identify ``path`` as decodable audio or raise :class:`AudioUnsupported`."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioUnsupported("The uploaded file could not be read.") from exc
    if size == 0:
        raise AudioUnsupported("The uploaded file is empty.")
    data = _ffprobe(path)
    streams = [s for s in data.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise AudioUnsupported("The file contains no audio stream.")
    stream = streams[0]
    codec = stream.get("codec_name") or ""
    if not codec or codec in _IMAGE_CODECS or codec == "none":
        raise AudioUnsupported("The file's audio codec is not supported.")
    fmt = data.get("format", {})
    sample_rate = _int(stream.get("sample_rate"))
    channels = _int(stream.get("channels"))
    if not sample_rate or not channels:
        raise AudioUnsupported("The file's audio stream has no sample rate or channels.")
    bit_rate = _int(stream.get("bit_rate")) or _int(fmt.get("bit_rate"))
    header_duration = _float(stream.get("duration")) or _float(fmt.get("duration"))

    # Decode one second: ffprobe happily "identifies" some garbage that no decoder can read.
    _check_decodes(path)
    if _header_is_trustworthy(header_duration, codec, size, bit_rate, sample_rate, channels, stream):
        duration = float(header_duration)
    else:
        duration = decoded_duration(path)
        log.info("probe_duration_decoded", extra={"header_duration": header_duration, "duration": duration})
    if duration <= 0:
        raise AudioUnsupported("The file contains no audible samples.")
    info = AudioInfo(
        format_name=fmt.get("format_name") or "unknown",
        codec=codec,
        duration=duration,
        sample_rate=sample_rate,
        channels=channels,
        bit_rate=bit_rate,
    )
    log.info("probe_audio", extra={"audio": info.to_dict()})
    return info


def _ffprobe(path: Path) -> dict:
    cmd = [
        FFPROBE,
        "-v",
        "error",
        "-hide_banner",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "--",
        str(path),
    ]
    try:
        result = run_tool(cmd, timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise AudioUnsupported("The file could not be analysed in time.") from exc
    if result.returncode != 0:
        log.info("probe_rejected", extra={"stderr": result.stderr.decode(errors="replace")[-300:]})
        raise AudioUnsupported()
    try:
        return json.loads(result.stdout or b"{}")
    except ValueError as exc:
        raise AudioUnsupported() from exc


def _check_decodes(path: Path) -> None:
    cmd = [
        FFMPEG,
        "-v",
        "error",
        "-nostdin",
        "-i",
        str(path),
        "-map",
        "0:a:0",
        "-t",
        "1",
        "-ac",
        "1",
        "-f",
        "s16le",
        "-",
    ]
    try:
        result = run_tool(cmd, timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise AudioUnsupported("The file could not be decoded in time.") from exc
    if result.returncode != 0 or not result.stdout:
        log.info("decode_check_failed", extra={"stderr": result.stderr.decode(errors="replace")[-300:]})
        raise AudioUnsupported("The file's audio could not be decoded.")


def _header_is_trustworthy(duration, codec, size, bit_rate, sample_rate, channels, stream) -> bool:
    if not duration or duration <= 0:
        return False
    if codec.startswith(_PCM_PREFIX):
        bits = _int(stream.get("bits_per_sample")) or _int(stream.get("bits_per_raw_sample")) or 16
        expected = duration * sample_rate * channels * bits / 8
        return size >= 0.98 * expected
    if bit_rate:
        # A header that promises far more audio than the bytes can hold (truncated upload).
        return size >= 0.8 * duration * bit_rate / 8
    return False


def decoded_duration(path: str | os.PathLike) -> float:
    """Duration in seconds from decoding every sample (mono, 8 kHz); streamed, memory stays flat."""
    rate = 8000
    cmd = [
        FFMPEG,
        "-v",
        "error",
        "-nostdin",
        "-i",
        str(path),
        "-map",
        "0:a:0",
        "-ac",
        "1",
        "-ar",
        str(rate),
        "-f",
        "s16le",
        "-",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    total = 0
    try:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(1 << 20):
            total += len(chunk)
        proc.wait(timeout=DECODE_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return total / 2 / rate


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result else None  # NaN
