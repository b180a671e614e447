"""FFmpeg: mux the page's H.264 with the audio, or encode canvas images with libx264 (fallback).

Both routes deliver H.264 High profile, yuv420p limited range tagged BT.709, AAC audio taken
once from the (trimmed) source, ``+faststart``, and a track timescale that is a multiple of the
frame rate so every frame lands on an exact timestamp.
"""

from __future__ import annotations

import json
import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

from app.rendering.errors import RenderFailed
from app.rendering.proc import FFMPEG, FFPROBE, run_tool

log = logging.getLogger(__name__)

AUDIO_BITRATE = "192k"
# FFmpeg's AAC encoder with the fast coder: ~3x quicker than the default two-loop search, and
# transparent enough at 192 kb/s. The benchmark gives showwaves the same audio settings.
AUDIO_CODEC = ("-c:a", "aac", "-aac_coder", "fast", "-b:a", AUDIO_BITRATE)
X264_PRESET = "veryfast"
X264_CRF = 20
# bits per pixel per frame for the in-page encoder: chosen with bench/render_bench.py so the
# output keeps SSIM >= 0.98 against a lossless capture (OpenH264 has no constant-quality mode)
WEBCODECS_BPP = 0.06
# Chromium's OpenH264 writes "full range" VUI and converts with a full-range BT.709 matrix; the
# page compresses its pixels to 16..235 before encoding, so only the flags need correcting.
LIMITED_RANGE_BSF = (
    "h264_metadata=video_full_range_flag=0:colour_primaries=1:"
    "transfer_characteristics=1:matrix_coefficients=1"
)
# JPEG frames are full-range BT.601 (JFIF); convert to limited-range BT.709 for delivery.
FALLBACK_FILTER = (
    "scale=in_color_matrix=bt601:in_range=full:out_color_matrix=bt709:out_range=tv,format=yuv420p"
)


def timescale(fps: int) -> int:
    return fps * 512


def h264_codecs(width: int, height: int, fps: int) -> list[str]:
    """WebCodecs codec strings to try, High profile first, at the lowest level that fits."""
    mbs = ((width + 15) // 16) * ((height + 15) // 16)
    rate = mbs * fps
    # (level_idc, max frame size in macroblocks, max macroblocks per second)
    levels = [
        (0x1F, 3600, 108000),
        (0x20, 5120, 216000),
        (0x28, 8192, 245760),
        (0x2A, 8704, 522240),
        (0x32, 22080, 589824),
    ]
    level = next((idc for idc, max_fs, max_rate in levels if mbs <= max_fs and rate <= max_rate), 0x33)
    return [f"avc1.6400{level:02X}", f"avc1.4D00{level:02X}", f"avc1.42E0{level:02X}"]


def webcodecs_bitrate(width: int, height: int, fps: int) -> int:
    # 60 fps needs fewer bits per frame than 30: motion between frames is smaller
    per_frame_bpp = WEBCODECS_BPP * (0.7 if fps >= 50 else 1.0)
    return int(width * height * fps * per_frame_bpp)


def start_audio(
    audio_path: Path, out_path: Path, *, trim_start: float, duration: float, channels: int
) -> subprocess.Popen:
    """Encode the (trimmed) source audio to AAC once, in the background while frames are drawn.

    ``-ss``/``-t`` select the same samples the analysis decoded, so picture and sound line up.
    """
    cmd = [FFMPEG, "-v", "error", "-nostdin", "-y"]
    if trim_start > 0:
        cmd += ["-ss", f"{trim_start:.6f}"]
    cmd += [
        "-t",
        f"{duration:.6f}",
        "-i",
        str(audio_path),
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        *AUDIO_CODEC,
    ]
    if channels > 2:
        cmd += ["-ac", "2"]
    cmd += ["-f", "mp4", str(out_path)]
    log.debug("audio_start", extra={"cmd": " ".join(cmd)})
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _container_output(fps: int, out_path: Path) -> list[str]:
    return [
        "-video_track_timescale",
        str(timescale(fps)),
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(out_path),
    ]


def start_mux(video_path: Path | None, audio_m4a: Path, out_path: Path, *, fps: int) -> subprocess.Popen:
    """Copy the H.264 stream into MP4 (fixing its colour flags) next to the AAC audio (copied too).

    ``video_path`` is raw Annex B (``.h264``, timestamps from ``fps``) or an MP4 with its own;
    ``None``: raw Annex B written to the process's stdin while the frames are drawn (the mux runs
    beside the capture; only the ``+faststart`` pass is left when the last frame arrives).
    """
    raw = video_path is None or video_path.suffix == ".h264"
    video_input = ["-f", "h264", "-framerate", str(fps)] if raw else []
    cmd = [
        FFMPEG,
        "-v",
        "error",
        *(["-nostdin"] if video_path is not None else []),
        "-y",
        *video_input,
        "-i",
        "pipe:0" if video_path is None else str(video_path),
        "-i",
        str(audio_m4a),
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
        "-c:v",
        "copy",
        "-bsf:v",
        LIMITED_RANGE_BSF,
        "-c:a",
        "copy",
        *_container_output(fps, out_path),
    ]
    log.debug("mux_start", extra={"cmd": " ".join(cmd)})
    stdin = subprocess.DEVNULL if video_path is not None else subprocess.PIPE
    return subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def start_x264(out_path: Path, *, image_format: str, fps: int) -> subprocess.Popen:
    """An FFmpeg reading concatenated JPEG/PNG frames on stdin and writing a video-only MP4."""
    demuxer = {"jpeg": "jpeg_pipe", "png": "png_pipe"}[image_format]
    video_filter = (
        FALLBACK_FILTER
        if image_format == "jpeg"
        else "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
    )
    cmd = [
        FFMPEG,
        "-v",
        "error",
        "-nostdin",
        "-y",
        "-f",
        demuxer,
        "-framerate",
        str(fps),
        "-i",
        "pipe:0",
        "-map",
        "0:v:0",
        "-vf",
        video_filter,
        "-c:v",
        "libx264",
        "-preset",
        X264_PRESET,
        "-crf",
        str(X264_CRF),
        "-profile:v",
        "high",
        "-pix_fmt",
        "yuv420p",
        "-colorspace",
        "bt709",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-color_range",
        "tv",
        "-video_track_timescale",
        str(timescale(fps)),
        "-f",
        "mp4",
        str(out_path),
    ]
    log.debug("x264_start", extra={"cmd": " ".join(cmd)})
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish_process(proc: subprocess.Popen, timeout: float) -> None:
    if proc.stdin and not proc.stdin.closed:
        proc.stdin.close()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.wait()
        raise RenderFailed(code="encode_timeout", detail="ffmpeg did not finish") from exc
    if proc.returncode != 0:
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise RenderFailed("The video could not be encoded.", code="encode_failed", detail=stderr[-800:])


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    frame_count: int
    video_duration: float
    audio_duration: float | None
    video_codec: str
    profile: str
    pix_fmt: str
    color_range: str | None
    audio_codec: str | None
    format_duration: float


def probe_video(path: Path) -> VideoInfo:
    """Stream facts of a rendered MP4 (frame count by packet count, exact)."""
    cmd = [
        FFPROBE,
        "-v",
        "error",
        "-count_packets",
        "-show_streams",
        "-show_format",
        "-of",
        "json",
        str(path),
    ]
    result = run_tool(cmd, timeout=60)
    if result.returncode != 0:
        raise RenderFailed(code="output_invalid", detail=result.stderr.decode(errors="replace")[-500:])
    data = json.loads(result.stdout)
    video = next(s for s in data["streams"] if s["codec_type"] == "video")
    audio = next((s for s in data["streams"] if s["codec_type"] == "audio"), None)
    num, den = (int(x) for x in video["avg_frame_rate"].split("/"))
    return VideoInfo(
        width=int(video["width"]),
        height=int(video["height"]),
        fps=num / den if den else 0.0,
        frame_count=int(video.get("nb_read_packets") or video.get("nb_frames") or 0),
        video_duration=float(video.get("duration") or 0.0),
        audio_duration=float(audio["duration"]) if audio and audio.get("duration") else None,
        video_codec=video.get("codec_name", ""),
        profile=video.get("profile", ""),
        pix_fmt=video.get("pix_fmt", ""),
        color_range=video.get("color_range"),
        audio_codec=audio.get("codec_name") if audio else None,
        format_duration=float(data["format"].get("duration") or 0.0),
    )


def start_video_only_mux(video_path: Path, out_path: Path, *, fps: int) -> subprocess.Popen:
    """A chunk's raw H.264 (Annex B) copied into a silent MP4, colour flags fixed as in ``start_mux``."""
    cmd = [
        FFMPEG,
        "-v",
        "error",
        "-nostdin",
        "-y",
        "-f",
        "h264",
        "-framerate",
        str(fps),
        "-i",
        str(video_path),
        "-map",
        "0:v:0",
        "-c:v",
        "copy",
        "-bsf:v",
        LIMITED_RANGE_BSF,
        "-video_track_timescale",
        str(timescale(fps)),
        "-f",
        "mp4",
        str(out_path),
    ]
    log.debug("segment_mux_start", extra={"cmd": " ".join(cmd)})
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def concat_mux_command(listing: Path, audio_m4a: Path, out_path: Path, *, fps: int) -> list[str]:
    """Silent segments (an ``ffconcat`` list) joined without re-encoding, next to the AAC audio."""
    return [
        FFMPEG,
        "-v",
        "error",
        "-nostdin",
        "-y",
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        str(listing),
        "-i",
        str(audio_m4a),
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
        "-c",
        "copy",
        *_container_output(fps, out_path),
    ]
