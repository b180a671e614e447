"""What ``POST /renders`` receives, checked before anything is stored.

Each uploaded part is copied in chunks to a private temporary folder (never held in memory)
with a byte limit, then identified by its content -- magic bytes first, then ffprobe for audio
and Pillow for images. The client's file name and Content-Type are never trusted: the name is
only kept (cleaned) for display and the download file name.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from app.errors import InvalidField, PayloadTooLarge, UnsupportedMedia
from app.rendering import captions as caption_files
from app.rendering.errors import AudioTooLong, AudioUnsupported
from app.rendering.probe import AudioInfo, probe_audio
from app.renders.errors import engine_input_errors

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
MIN_AUDIO_SECONDS = 0.5

# Image uploads: PNG, JPEG or WebP, bounded, re-encoded to PNG before use.
MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_IMAGE_SIDE = 8192
MIN_IMAGE_SIDE = 16
MAX_IMAGE_PIXELS = 40_000_000
STORED_IMAGE_SIDE = 3840  # larger images are scaled down to fit
IMAGE_SIGNATURES = {"PNG": (b"\x89PNG\r\n\x1a\n",), "JPEG": (b"\xff\xd8\xff",)}

# Image parts POST /renders accepts, and the template option each one fills by default.
IMAGE_PARTS = {"background": "background_image", "cover": "cover_image", "logo": "logo_image"}

# File extension of the stored audio object, from the container ffprobe found.
AUDIO_EXTENSIONS = {
    "mp3": "mp3", "wav": "wav", "flac": "flac", "ogg": "ogg", "mov": "m4a", "mp4": "m4a",
    "m4a": "m4a", "matroska": "mka", "webm": "webm", "aiff": "aiff", "aac": "aac", "w64": "w64",
    "caf": "caf", "amr": "amr", "ape": "ape", "asf": "wma", "wv": "wv", "au": "au", "mpc": "mpc",
    "mpc8": "mpc", "opus": "opus",
}
AUDIO_CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac",
                       "ogg": "audio/ogg", "opus": "audio/ogg", "m4a": "audio/mp4",
                       "webm": "audio/webm", "aac": "audio/aac", "aiff": "audio/aiff"}


@dataclass(frozen=True)
class AudioUpload:
    path: Path
    size: int
    info: AudioInfo
    extension: str
    filename: str  # the client's name, cleaned, for display only


@dataclass(frozen=True)
class ImageUpload:
    name: str  # the asset name ("background"), also the form field
    path: Path  # the re-encoded PNG
    width: int
    height: int


def max_upload_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def receive_file(upload: FileStorage, target: Path, *, field: str, max_bytes: int) -> int:
    """Copy the uploaded part to ``target`` in chunks; 413 as soon as it passes ``max_bytes``."""
    size = 0
    with open(target, "wb") as out:
        while chunk := upload.stream.read(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLarge(
                    f"The {field} file is larger than the limit of {max_bytes // (1024 * 1024)} MB.",
                    code="upload_too_large", details={"field": field, "limit_bytes": max_bytes})
            out.write(chunk)
    return size


def clean_filename(name: str | None, default: str = "audio") -> str:
    """The last path part of a client-side name, without control characters, at most 200 chars."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return name[:200] or default


# -- audio --------------------------------------------------------------------------------

def looks_like_audio(head: bytes) -> bool:
    """Magic bytes of the audio containers FFmpeg reads; everything else is refused unprobed."""
    if head.startswith((b"ID3", b"fLaC", b"OggS", b"\x1a\x45\xdf\xa3", b"#!AMR", b"MAC ", b"wvpk",
                        b"caff", b"MPCK", b"MP+", b".snd", b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")):
        return True
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return True
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return True
    if head[4:8] == b"ftyp":  # MP4 / M4A / MOV family
        return True
    if head[:4] == b"riff":  # Sony Wave64
        return True
    # MPEG audio frame sync (MP3 without a tag, ADTS AAC)
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0


def validate_audio(upload: FileStorage, workdir: Path) -> AudioUpload:
    """Receive and identify the audio part: 413 too big, 415 not audio, 422 too long/short."""
    with engine_input_errors():
        return _validate_audio(upload, workdir)


def _validate_audio(upload: FileStorage, workdir: Path) -> AudioUpload:
    path = workdir / "audio.upload"
    size = receive_file(upload, path, field="audio", max_bytes=max_upload_bytes())
    if size == 0:
        raise AudioUnsupported("The uploaded audio file is empty.", details={"field": "audio"})
    with open(path, "rb") as fh:
        head = fh.read(64)
    if not looks_like_audio(head):
        log.info("upload_rejected", extra={"reason": "signature", "size": size})
        raise AudioUnsupported(details={"field": "audio"})
    info = probe_audio(path)
    limit = int(current_app.config["MAX_AUDIO_SECONDS"])
    if info.duration > limit:
        raise AudioTooLong(
            f"The audio is {info.duration:.0f} seconds long; the limit is {limit} seconds.",
            fields={"audio": [f"Must be at most {limit} seconds long."]},
            details={"duration": round(info.duration, 3), "limit_seconds": limit})
    if info.duration < MIN_AUDIO_SECONDS:
        raise InvalidField("The audio is too short to render.", code="audio_too_short",
                           fields={"audio": [f"Must be at least {MIN_AUDIO_SECONDS} seconds long."]})
    extension = AUDIO_EXTENSIONS.get(info.container, "audio")
    return AudioUpload(path=path, size=size, info=info, extension=extension,
                       filename=clean_filename(upload.filename))


# -- images -------------------------------------------------------------------------------

def image_format(head: bytes) -> str | None:
    for name, signatures in IMAGE_SIGNATURES.items():
        if head.startswith(signatures):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def validate_image(upload: FileStorage, name: str, workdir: Path) -> ImageUpload:
    """Receive a PNG/JPEG/WebP part, check it by content and size, re-encode it as a clean PNG."""
    raw = workdir / f"{name}.upload"
    size = receive_file(upload, raw, field=name, max_bytes=MAX_IMAGE_BYTES)
    with open(raw, "rb") as fh:
        fmt = image_format(fh.read(16))
    unsupported = UnsupportedMedia(f"The {name} image must be a PNG, JPEG or WebP file.",
                                   code="unsupported_image", details={"field": name})
    if size == 0 or fmt is None:
        raise unsupported
    try:
        with Image.open(raw, formats=[fmt]) as image:
            width, height = image.size
            if (max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS
                    or min(width, height) < MIN_IMAGE_SIDE):
                raise InvalidField(
                    f"The {name} image is {width}x{height} pixels.", code="invalid_image_size",
                    fields={name: [f"Each side must be {MIN_IMAGE_SIDE}-{MAX_IMAGE_SIDE} pixels "
                                   f"and the image at most {MAX_IMAGE_PIXELS} pixels."]})
            image.seek(0)  # first frame of an animated WebP
            image.load()
            clean = ImageOps.exif_transpose(image)
            has_alpha = clean.mode in ("RGBA", "LA", "PA") or "transparency" in clean.info
            clean = clean.convert("RGBA" if has_alpha else "RGB")
            clean.thumbnail((STORED_IMAGE_SIDE, STORED_IMAGE_SIDE))
            target = workdir / f"{name}.png"
            clean.save(target, format="PNG")  # drops metadata; only pixels survive
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        log.info("upload_rejected", extra={"reason": "image_decode", "field": name,
                                           "error_type": type(exc).__name__})
        raise unsupported from exc
    finally:
        raw.unlink(missing_ok=True)
    return ImageUpload(name=name, path=target, width=clean.width, height=clean.height)



# -- captions -----------------------------------------------------------------------------

def validate_captions(upload: FileStorage, workdir: Path, audio_duration: float | None) -> list[dict]:
    """Receive an SRT or WebVTT part; 413 too big, 422 naming the line of the first problem
    (every cue inside ``audio_duration`` when it is known)."""
    path = workdir / "captions.upload"
    receive_file(upload, path, field="captions", max_bytes=caption_files.MAX_CAPTION_BYTES)
    with engine_input_errors():
        cues = caption_files.parse_caption_file(path.read_bytes())
        if audio_duration is not None:
            caption_files.check_within(cues, audio_duration)
    path.unlink(missing_ok=True)
    return [cue.to_dict() for cue in cues]
