"""Chunked rendering: one render split into frame ranges drawn separately, then joined losslessly.

    config, features = analyze_once(audio, config, assets, workdir)    # the audio is analysed once
    for r in split_frames(features.frame_count, fps, chunk_seconds):   # any process, any machine
        render_segment(features, config, r, f"seg-{r.index}.mp4", assets=...)
    join_segments(segments, audio, config, "out.mp4", frame_count=features.frame_count)

Every pixel of frame ``i`` is a pure function of ``(config, features, assets, i)`` (see
``app/static/visualizer/README.md``), and the features of the whole audio are computed once, so
frame ``i`` of a chunk is the frame ``i`` of the unchunked render. Each segment is a silent
H.264 MP4 with the same encoder settings as :func:`app.rendering.pipeline.render_video`,
starting on a keyframe; the join is FFmpeg's concat demuxer with ``-c copy`` (no re-encoding)
plus the trimmed audio, encoded once.

Chunk boundaries are multiples of the keyframe interval (``2 * fps`` frames, the interval of the
unchunked render), so joints fall where the unchunked render has a keyframe too. A tail shorter
than a quarter of a chunk is merged into the chunk before it: a job costs a browser start-up
per chunk, not worth paying for a few frames.

:func:`render_chunked` runs the same steps with N local processes (``flask render --workers``).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import multiprocessing
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path

from app.rendering import encode
from app.rendering.analysis import Features, analyze_file
from app.rendering.capture import CaptureSession
from app.rendering.catalog import asset_names, normalize_config, parse_size
from app.rendering.errors import AudioUnsupported, RenderCanceled, RenderFailed, RenderTimeout
from app.rendering.pipeline import ProgressTicker, RenderProgress, disk_full_error, feed_stdin, time_left
from app.rendering.probe import probe_audio
from app.rendering.proc import run_tool, stop_process
from app.rendering.supervision import RenderSupervisor

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SECONDS = 60.0
MERGE_TAIL_FRACTION = 0.25  # a last chunk shorter than this share of a chunk joins the previous
MIN_FLEET_CHUNK_SECONDS = 10.0  # chunks made to fill a fleet are never shorter than this
SEGMENT_MODES = {"auto": "auto", "webcodecs": "webcodecs", "x264": "jpeg"}


@dataclass(frozen=True)
class FrameRange:
    """Frames ``[start, end)`` of a render, chunk number ``index``."""

    index: int
    start: int
    end: int

    @property
    def frames(self) -> int:
        return self.end - self.start


def key_interval(fps: int) -> int:
    """Frames between keyframes, in the unchunked render and in every segment (capture.py)."""
    return int(fps) * 2


def chunk_frames(fps: int, chunk_seconds: float) -> int:
    """Frames per chunk: ``chunk_seconds`` rounded to whole keyframe intervals (at least one)."""
    step = key_interval(fps)
    return max(1, round(float(chunk_seconds) * fps / step)) * step


def split_frames(
    frame_count: int, fps: int, chunk_seconds: float = DEFAULT_CHUNK_SECONDS, *, workers: int = 1
) -> list[FrameRange]:
    """Split frames ``[0, frame_count)`` into contiguous chunks of whole keyframe intervals.

    Every frame is in exactly one chunk, in order. The last chunk holds what is left; when that
    is less than :data:`MERGE_TAIL_FRACTION` of a chunk (one frame, say) it is merged into the
    chunk before it. A render no longer than one chunk is one chunk.

    ``workers`` > 1 (the workers that will take the chunks): the number of chunks is rounded up
    to a multiple of it and the frames are shared out evenly (chunk lengths differ by at most
    one keyframe interval), so no round of chunks leaves workers idle: 10 chunks of 60 s on 4
    workers take 3 rounds of 60 s, 12 chunks of 50 s take 3 rounds of 50 s. Chunks stay no
    longer than ``chunk_seconds`` and no shorter than :data:`MIN_FLEET_CHUNK_SECONDS` (a chunk
    pays a browser start-up).
    """
    if frame_count <= 0:
        raise ValueError("frame_count must be positive")
    if fps <= 0 or chunk_seconds <= 0:
        raise ValueError("fps and chunk_seconds must be positive")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    size = chunk_frames(fps, chunk_seconds)
    bounds = [*list(range(0, frame_count, size)), frame_count]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < size * MERGE_TAIL_FRACTION:
        del bounds[-2]
    count = len(bounds) - 1
    if workers > 1 and count > 1:
        step = key_interval(fps)
        most = max(count, frame_count // max(step, chunk_frames(fps, MIN_FLEET_CHUNK_SECONDS)))
        wanted = min(-(-count // workers) * workers, most)
        if wanted > count:
            intervals = frame_count / step
            bounds = [step * math.floor(i * intervals / wanted + 0.5) for i in range(wanted)] + [frame_count]
    return [FrameRange(i, a, b) for i, (a, b) in enumerate(itertools.pairwise(bounds))]


def is_chunked(seconds: float, chunk_seconds: float) -> bool:
    """Whether a render of ``seconds`` of audio is split (longer than one chunk)."""
    return chunk_seconds > 0 and seconds > chunk_seconds


# --- the analysis, once -----------------------------------------------------------------------
def analyze_once(
    audio_path,
    raw_config: dict,
    assets: dict[str, Path] | None,
    workdir: Path,
    *,
    on_process=None,
    on_config: Callable[[dict], None] | None = None,
) -> tuple[dict, Features]:
    """Probe and analyse the (trimmed) audio: the final config and the features of every frame.

    ``on_config`` is called with the final config before the analysis starts (to start work that
    needs only the config, such as the audio encode)."""
    info = probe_audio(Path(audio_path))
    config = normalize_config(raw_config, audio_duration=info.duration, available_assets=set(assets or {}))
    if on_config is not None:
        on_config(config)
    features = analyze_file(
        audio_path,
        Path(workdir) / "features.bin",
        fps=config["fps"],
        source_rate=info.sample_rate,
        trim_start=config["trim_start"],
        trim_end=config["trim_end"],
        on_process=on_process,
    )
    return config, features


def features_meta(features: Features) -> dict:
    """What, next to the records file, rebuilds :class:`Features` on another machine."""
    return {k: v for k, v in asdict(features).items() if k != "path"}


def load_features(path: Path, meta: dict) -> Features:
    features = Features(
        Path(path), **{k: int(meta[k]) for k in ("fps", "sample_rate", "n_samples", "frame_count")}
    )
    expected = features.frame_count * 400
    if Path(path).stat().st_size != expected:
        raise RenderFailed(
            code="features_invalid",
            detail=f"features file is {Path(path).stat().st_size} bytes, expected {expected}",
        )
    return features


# --- one segment ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SegmentResult:
    path: Path
    frame_range: FrameRange
    encoder: str  # "webcodecs" or "x264"
    size_bytes: int
    wall_seconds: float


def render_segment(
    features: Features,
    config: dict,
    frame_range: FrameRange,
    output_path,
    *,
    assets: dict[str, Path] | None = None,
    progress: Callable[[RenderProgress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    timeout: float | None = None,
    chromium_path: str = "/usr/bin/chromium",
    workdir: Path | None = None,
    encoder: str = "auto",
) -> SegmentResult:
    """Draw frames ``[start, end)`` of a render as a silent H.264 MP4 that starts on a keyframe.

    ``config`` is the final config :func:`analyze_once` returned; ``features`` cover the whole
    render. Same encoder, bitrate, colour flags and track timescale as the unchunked render.
    """
    if encoder not in SEGMENT_MODES:
        raise ValueError(f"encoder must be one of {tuple(SEGMENT_MODES)}")
    if not 0 <= frame_range.start < frame_range.end <= features.frame_count:
        raise ValueError(f"frame range {frame_range} outside 0..{features.frame_count}")
    started = time.monotonic()
    deadline = started + timeout if timeout else None
    output_path = Path(output_path)
    assets = {name: Path(p) for name, p in (assets or {}).items()}
    width, height = parse_size(config["size"])
    fps, total = int(config["fps"]), frame_range.frames
    job = RenderSupervisor(deadline)

    def check() -> None:
        if job.timed_out or (deadline is not None and time.monotonic() > deadline):
            raise RenderTimeout()
        if should_cancel is not None and should_cancel():
            raise RenderCanceled()

    tmp = Path(tempfile.mkdtemp(prefix="waveframe-segment-", dir=workdir))
    threading.Thread(target=job.watch, name="segment-watchdog", daemon=True).start()
    succeeded = False
    try:
        check()
        session = CaptureSession(config=config, chromium_path=chromium_path, mode=SEGMENT_MODES[encoder])
        with job.lock:
            job.session = session
        with contextlib.closing(session):
            session.open()
            check()
            job.beat()
            session.setup(
                features,
                assets={name: assets[name] for name in asset_names(config).values()},
                codecs=encode.h264_codecs(width, height, fps),
                bitrate=encode.webcodecs_bitrate(width, height, fps),
            )
            check()
            ticker = ProgressTicker(progress, total, job.beat)
            staged = tmp / "segment.mp4"
            if session.mode == "webcodecs":
                raw = tmp / "segment.h264"
                # the encoder's rate control warms up on the frames before the range (as it
                # has in the unchunked render); their output is dropped, the range starts on
                # the keyframe the page puts at every key interval
                preroll = key_interval(fps) if frame_range.start >= key_interval(fps) else 0
                with open(raw, "wb") as sink:
                    keep = _PrerollFilter(sink, preroll)
                    session.stream(
                        frame_range.start - preroll,
                        frame_range.end,
                        on_data=keep.write,
                        on_frames=lambda n: ticker.update(max(0, n - preroll)),
                        check=check,
                    )
                    keep.close()
                session.close()
                mux = encode.start_video_only_mux(raw, staged, fps=fps)
                job.track(mux)
                encode.finish_process(mux, timeout=time_left(deadline, 600))
                used = "webcodecs"
            else:
                x264 = encode.start_x264(staged, image_format="jpeg", fps=fps)
                job.track(x264)
                session.stream(
                    frame_range.start,
                    frame_range.end,
                    on_data=lambda data, sizes: feed_stdin(x264, data),
                    on_frames=ticker.update,
                    check=check,
                )
                encode.finish_process(x264, timeout=time_left(deadline, 600))
                used = "x264"
        check()
        video = encode.probe_video(staged)
        if video.frame_count != total or (video.width, video.height) != (width, height):
            raise RenderFailed(
                code="output_invalid", detail=f"segment has {video.frame_count} frames, expected {total}"
            )
        output_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), str(output_path))
        result = SegmentResult(
            output_path, frame_range, used, output_path.stat().st_size, round(time.monotonic() - started, 3)
        )
        log.info(
            "segment_done",
            extra={
                "chunk": frame_range.index,
                "start": frame_range.start,
                "end": frame_range.end,
                "encoder": used,
                "wall_seconds": result.wall_seconds,
            },
        )
        succeeded = True
        return result
    except Exception as exc:
        if job.timed_out and not isinstance(exc, RenderTimeout):
            raise RenderTimeout() from exc
        if job.stalled:
            raise RenderFailed("The renderer stopped responding.", code="render_stalled") from exc
        if should_cancel is not None and not isinstance(exc, RenderCanceled) and should_cancel():
            raise RenderCanceled() from exc
        out_of_space = disk_full_error(exc, tmp)
        if out_of_space is not None:
            raise out_of_space from exc
        raise
    finally:
        job.deadline = min(job.deadline or math.inf, time.monotonic() + 15.0)
        job.kill_processes()
        if job.session is not None:
            if not succeeded:
                job.session.discard_browser()  # a shared warm browser is not reused after an error
            job.session.close()
        for process in job.processes:
            stop_process(process)
        job.finished.set()
        shutil.rmtree(tmp, ignore_errors=True)


# --- the join -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class JoinResult:
    path: Path
    frame_count: int
    duration_seconds: float
    video_duration: float
    audio_duration: float | None
    size_bytes: int


# --- the audio, once ---------------------------------------------------------------------------
def start_track_audio(audio_path, config: dict, out_path: Path):
    """Start encoding the trimmed audio of ``config`` to AAC (``out_path``), in the background."""
    info = probe_audio(Path(audio_path))
    return encode.start_audio(
        Path(audio_path),
        Path(out_path),
        trim_start=float(config["trim_start"]),
        duration=float(config["trim_end"]) - float(config["trim_start"]),
        channels=info.channels,
    )


def encode_track_audio(
    audio_path,
    config: dict,
    out_path,
    *,
    timeout: float = 600,
    should_cancel: Callable[[], bool] | None = None,
) -> Path:
    """Encode the trimmed audio once, as the join muxes it, and check its length.

    A chunked render on RQ runs this in its own job beside the chunks, so the join only copies the
    stream. Raises :class:`RenderCanceled` (the encoder stopped) when ``should_cancel`` says so,
    :class:`RenderFailed` when FFmpeg fails or the result is not ``trim_end - trim_start`` long
    within one frame, ENOSPC when the temp disk filled up.
    """
    out_path = Path(out_path)
    deadline = time.monotonic() + timeout
    proc = start_track_audio(audio_path, config, out_path)
    try:
        while True:
            try:
                proc.wait(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                if should_cancel is not None and should_cancel():
                    raise RenderCanceled() from None
                if time.monotonic() > deadline:
                    raise RenderFailed(code="encode_timeout", detail="the audio encoder did not finish") \
                        from None
        try:
            encode.finish_process(proc, timeout=1)
        except RenderFailed as exc:
            out_of_space = disk_full_error(exc, out_path.parent)
            if out_of_space is not None:
                raise out_of_space from exc
            raise
        check_track_audio(out_path, config)
        return out_path
    finally:
        stop_process(proc)


def check_track_audio(path: Path, config: dict) -> None:
    """The encoded audio lasts the render's trimmed length, within one frame."""
    expected = float(config["trim_end"]) - float(config["trim_start"])
    try:
        found = probe_audio(Path(path)).duration
    except AudioUnsupported as exc:
        raise RenderFailed("The video could not be encoded.", code="encode_failed",
                           detail=f"encoded audio unreadable: {exc}") from exc
    if abs(found - expected) > 1.0 / int(config["fps"]):
        raise RenderFailed("The video could not be encoded.", code="encode_failed",
                           detail=f"encoded audio lasts {found:.3f} s, expected {expected:.3f} s")


# --- the join ---------------------------------------------------------------------------------
def join_segments(
    segments: list[Path],
    audio_path,
    config: dict,
    output_path,
    *,
    frame_count: int,
    workdir: Path | None = None,
    timeout: float = 600,
    encoded_audio: Path | None = None,
) -> JoinResult:
    """Concatenate the segments (in order) without re-encoding and mux the trimmed audio once.

    ``encoded_audio``: the trimmed audio already encoded (:func:`encode_track_audio`), copied
    as it is when its length is the render's; without it (or when it is not) the audio is
    encoded here, beside the segments' checks.
    Checks the result: exactly ``frame_count`` frames, audio and video within one frame.
    """
    if not segments:
        raise ValueError("no segments to join")
    fps = int(config["fps"])
    output_path = Path(output_path)
    tmp = Path(tempfile.mkdtemp(prefix="waveframe-join-", dir=workdir))
    audio = None
    try:
        duration = float(config["trim_end"]) - float(config["trim_start"])
        if encoded_audio is not None:
            try:
                check_track_audio(Path(encoded_audio), config)  # never another trim's audio
            except RenderFailed as exc:
                log.warning("encoded_audio_rejected", extra={"detail": exc.detail})
                encoded_audio = None
        if encoded_audio is not None:
            audio_m4a = Path(encoded_audio)
        else:
            audio_m4a = tmp / "audio.m4a"
            audio = start_track_audio(audio_path, config, audio_m4a)
        listing = tmp / "segments.txt"
        lines = ["ffconcat version 1.0"]
        counted = 0
        for path in segments:
            frames = encode.probe_video(Path(path)).frame_count
            counted += frames
            # the exact length of each segment: the next one starts right after its last frame
            lines += [f"file '{_concat_path(path)}'", f"duration {frames / fps:.9f}"]
        if counted != frame_count:
            raise RenderFailed(
                code="segments_incomplete", detail=f"segments hold {counted} frames, expected {frame_count}"
            )
        listing.write_text("\n".join(lines) + "\n")
        if audio is not None:
            encode.finish_process(audio, timeout=timeout)
        staged = tmp / "output.mp4"
        result = run_tool(encode.concat_mux_command(listing, audio_m4a, staged, fps=fps), timeout=timeout)
        if result.returncode != 0:
            raise RenderFailed(
                "The video could not be encoded.",
                code="join_failed",
                detail=result.stderr.decode(errors="replace")[-800:],
            )
        video = encode.probe_video(staged)
        if video.frame_count != frame_count:
            raise RenderFailed(
                code="output_invalid",
                detail=f"joined video has {video.frame_count} frames, expected {frame_count}",
            )
        if video.audio_duration is not None and abs(video.audio_duration - video.video_duration) > 1.0 / fps:
            raise RenderFailed(
                code="output_invalid",
                detail=f"audio {video.audio_duration:.3f} s vs video {video.video_duration:.3f} s",
            )
        output_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), str(output_path))
        return JoinResult(
            output_path,
            video.frame_count,
            duration,
            video.video_duration,
            video.audio_duration,
            output_path.stat().st_size,
        )
    finally:
        if audio is not None:
            stop_process(audio)
        shutil.rmtree(tmp, ignore_errors=True)


def _concat_path(path) -> str:
    return str(Path(path).resolve()).replace("'", "'\\''")


# --- the same split with local processes ------------------------------------------------------
@dataclass(frozen=True)
class ChunkedResult:
    path: Path
    frame_count: int
    chunks: int
    workers: int
    duration_seconds: float
    size_bytes: int
    wall_seconds: float
    chunk_seconds: list[float]  # wall time of each chunk, in chunk order


def render_chunked(
    audio_path,
    output_path,
    config: dict,
    *,
    workers: int,
    chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
    assets: dict[str, Path] | None = None,
    progress: Callable[[RenderProgress], None] | None = None,
    chromium_path: str = "/usr/bin/chromium",
    encoder: str = "auto",
    workdir: Path | None = None,
) -> ChunkedResult:
    """Render with ``workers`` local processes, one chunk each at a time, then join.

    Each process runs :func:`render_segment`; progress sums the frames of every chunk.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    started = time.monotonic()
    assets = {name: Path(p) for name, p in (assets or {}).items()}
    tmp = Path(tempfile.mkdtemp(prefix="waveframe-chunked-", dir=workdir))
    context = multiprocessing.get_context("spawn")  # no fork of a process with Playwright threads
    audio = None
    try:
        if progress:
            progress(RenderProgress(0, 0, 0.0, None, "analysis"))
        config, features = analyze_once(audio_path, config, assets, tmp)
        audio = start_track_audio(audio_path, config, tmp / "audio.m4a")  # beside the chunks
        ranges = split_frames(features.frame_count, int(config["fps"]), chunk_seconds)
        total = features.frame_count
        counters = context.Array("q", len(ranges), lock=False)
        stop = context.Event()
        meta = features_meta(features)
        segments = [tmp / f"segment-{r.index:05d}.mp4" for r in ranges]
        results: dict[int, SegmentResult] = {}
        with ProcessPoolExecutor(
            max_workers=min(workers, len(ranges)),
            mp_context=context,
            initializer=_init_chunk_process,
            initargs=(counters, stop),
        ) as pool:
            futures = {
                pool.submit(
                    _segment_in_process,
                    str(features.path),
                    meta,
                    config,
                    r,
                    str(segments[r.index]),
                    {k: str(v) for k, v in assets.items()},
                    chromium_path,
                    encoder,
                    str(tmp),
                ): r
                for r in ranges
            }
            pending = set(futures)
            try:
                while pending:
                    done, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
                    for future in done:
                        result = future.result()  # raises the chunk's error
                        results[result.frame_range.index] = result
                    if progress:
                        frames = sum(counters)
                        elapsed = time.monotonic() - started
                        eta = (total - frames) * elapsed / frames if frames else None
                        progress(
                            RenderProgress(
                                frames,
                                total,
                                round(min(99.0, 100.0 * frames / total), 2),
                                None if eta is None else round(eta, 1),
                            )
                        )
            except BaseException:
                stop.set()  # every process stops its chunk at the next batch and cleans up
                for future in pending:
                    future.cancel()
                raise
        if progress:
            progress(RenderProgress(total, total, 99.0, 1.0, "mux"))
        encode.finish_process(audio, timeout=600)  # its length is checked by the join
        joined = join_segments(segments, audio_path, config, output_path, frame_count=total, workdir=tmp,
                               encoded_audio=tmp / "audio.m4a")
        if progress:
            progress(RenderProgress(total, total, 100.0, 0.0, "done"))
        wall = time.monotonic() - started
        return ChunkedResult(
            joined.path,
            total,
            len(ranges),
            workers,
            joined.duration_seconds,
            joined.size_bytes,
            round(wall, 3),
            [results[r.index].wall_seconds for r in ranges],
        )
    finally:
        if audio is not None:
            stop_process(audio)
        shutil.rmtree(tmp, ignore_errors=True)


_counters = None
_stop = None


def _init_chunk_process(counters, stop) -> None:
    global _counters, _stop
    _counters, _stop = counters, stop


def _segment_in_process(
    features_path: str,
    meta: dict,
    config: dict,
    frame_range: FrameRange,
    out: str,
    assets: dict[str, str],
    chromium_path: str,
    encoder: str,
    workdir: str,
) -> SegmentResult:
    features = load_features(Path(features_path), meta)

    def report(update: RenderProgress) -> None:
        _counters[frame_range.index] = update.frames_done

    result = render_segment(
        features,
        config,
        frame_range,
        out,
        assets={k: Path(v) for k, v in assets.items()},
        progress=report,
        should_cancel=_stop.is_set,
        chromium_path=chromium_path,
        workdir=Path(workdir),
        encoder=encoder,
    )
    _counters[frame_range.index] = frame_range.frames
    return result


# --- helpers ------------------------------------------------------------------------------------
class _PrerollFilter:
    """Writes the page's Annex B frames to ``sink``, dropping the first ``skip`` frames.

    The first kept frame is a keyframe; when the encoder put its parameter sets (SPS/PPS) only
    before the first, dropped, keyframe, they are written in front of it.
    """

    def __init__(self, sink, skip: int):
        self.sink, self.skip = sink, skip
        self.seen = 0
        self.parameter_sets = b""
        self.started = False

    def write(self, data: bytes, sizes: list[int]) -> None:
        offset = 0
        for size in sizes:
            frame = data[offset : offset + size]
            offset += size
            if self.seen < self.skip:
                sets = _nal_units(frame, {7, 8})
                if sets:
                    self.parameter_sets = sets
            else:
                if not self.started:
                    if 5 not in _nal_types(frame):
                        raise RenderFailed(
                            code="segment_invalid", detail="segment does not start on a keyframe"
                        )
                    if 7 not in _nal_types(frame):
                        self.sink.write(self.parameter_sets)
                    self.started = True
                self.sink.write(frame)
            self.seen += 1

    def close(self) -> None:
        if not self.started:
            raise RenderFailed(code="segment_invalid", detail="no frame of the range was encoded")


def _split_nals(data: bytes) -> list[bytes]:
    """Annex B NAL units of ``data``, each with its start code."""
    starts = []
    i = data.find(b"\x00\x00\x01")
    while i != -1:
        begin = i - 1 if i > 0 and data[i - 1] == 0 else i
        starts.append((begin, i + 3))
        i = data.find(b"\x00\x00\x01", i + 3)
    units = []
    for n, (begin, _) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(data)
        units.append(data[begin:end])
    return units


def _nal_type(unit: bytes) -> int:
    head = unit.index(b"\x00\x00\x01") + 3
    return unit[head] & 0x1F if head < len(unit) else -1


def _nal_types(frame: bytes) -> set[int]:
    return {_nal_type(unit) for unit in _split_nals(frame)}


def _nal_units(frame: bytes, types: set[int]) -> bytes:
    return b"".join(unit for unit in _split_nals(frame) if _nal_type(unit) in types)


__all__ = [
    "DEFAULT_CHUNK_SECONDS",
    "ChunkedResult",
    "FrameRange",
    "JoinResult",
    "SegmentResult",
    "analyze_once",
    "chunk_frames",
    "features_meta",
    "is_chunked",
    "join_segments",
    "key_interval",
    "load_features",
    "render_chunked",
    "render_segment",
    "split_frames",
]
