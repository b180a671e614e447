"""``render_video``: audio file + config -> finished MP4. No Flask app, no database.

probe -> decode & analyse once -> Chromium draws frame i -> H.264 (in-page WebCodecs, or canvas
images to libx264 when VideoEncoder is missing) -> FFmpeg muxes the trimmed audio once.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from app.rendering import encode
from app.rendering.analysis import Features, analyze_file
from app.rendering.capture import CaptureSession
from app.rendering.catalog import asset_names, normalize_config, parse_size
from app.rendering.errors import InvalidInput, RenderCanceled, RenderFailed, RenderTimeout
from app.rendering.probe import probe_audio
from app.rendering.proc import stop_process
from app.rendering.supervision import RenderSupervisor

log = logging.getLogger(__name__)

ENCODERS = ("auto", "webcodecs", "x264")
PROGRESS_INTERVAL = 0.25  # seconds between progress callbacks
CLEANUP_SECONDS = 15.0


@dataclass(frozen=True)
class RenderProgress:
    frames_done: int
    frames_total: int
    percent: float  # 0..100
    eta_seconds: float | None
    stage: str = "capture"  # "analysis" | "capture" | "mux" | "done"


@dataclass(frozen=True)
class RenderResult:
    path: Path
    duration_seconds: float  # of the (trimmed) audio, which the video matches within one frame
    frame_count: int
    width: int
    height: int
    fps: int
    size_bytes: int
    sha256: str
    encoder: str  # "webcodecs" or "x264"
    codec: str  # e.g. "avc1.640028" or "libx264"
    wall_seconds: float
    realtime_factor: float  # audio seconds per wall-clock second
    config: dict
    timings: dict = field(default_factory=dict)  # seconds per stage: probe, startup, capture, mux, ...

    def to_dict(self) -> dict:
        return {**asdict(self), "path": str(self.path)}


@dataclass(frozen=True)
class SharedAudio:
    """The audio of an order probed, encoded (AAC) and analysed once, for every format it renders
    (:func:`prepare_audio`); formats differ in size only, so frame rate and trim are the same."""

    config: dict  # normalized
    audio_duration: float
    channels: int
    features: Features
    audio_m4a: Path


@dataclass
class _Prepared:
    """What the preparation thread hands over: probed audio, final config, features, AAC encoder."""

    config: dict
    channels: int
    features: Features
    audio: subprocess.Popen | None  # None: encoded before (SharedAudio)
    audio_m4a: Path
    audio_duration: float = 0.0  # of the whole file, as probed
    seconds: dict = field(default_factory=dict)  # probe, analysis (beside the browser start-up)


def render_video(
    audio_path,
    output_path,
    config: dict,
    *,
    assets: dict[str, Path] | None = None,
    progress: Callable[[RenderProgress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    timeout: float | None = None,
    chromium_path: str = "/usr/bin/chromium",
    workdir: Path | None = None,
    encoder: str = "auto",
    browser_init_script: str | None = None,
    shared: SharedAudio | None = None,
) -> RenderResult:
    """Render ``audio_path`` with ``config`` to ``output_path`` (MP4, H.264 + AAC).

    ``encoder``: "auto" (WebCodecs when the browser has it, else libx264), or force one.
    ``shared``: the audio already analysed and encoded by :func:`prepare_audio` (one format of
    an order of several): nothing is probed, decoded or analysed again.
    Raises RenderCanceled, RenderTimeout, RenderFailed, AudioUnsupported, RenderConfigInvalid.
    """
    if encoder not in ENCODERS:
        raise ValueError(f"encoder must be one of {ENCODERS}")
    started = time.monotonic()
    deadline = started + timeout if timeout else None
    audio_path, output_path, raw_config = Path(audio_path), Path(output_path), config
    assets = {name: Path(p) for name, p in (assets or {}).items()}
    job = RenderSupervisor(deadline)

    def check() -> None:
        if job.timed_out or (deadline is not None and time.monotonic() > deadline):
            raise RenderTimeout()
        if should_cancel is not None and should_cancel():
            raise RenderCanceled()

    timings: dict[str, float] = {}
    mark = _Stopwatch(timings)
    tmp = Path(tempfile.mkdtemp(prefix="waveframe-render-", dir=workdir))
    threading.Thread(target=job.watch, name="render-watchdog", daemon=True).start()
    succeeded = False
    try:
        check()
        _report(progress, RenderProgress(0, 0, 0.0, None, "analysis"))
        session = CaptureSession(
            config=None,
            chromium_path=chromium_path,
            init_script=browser_init_script,
            mode={"auto": "auto", "webcodecs": "webcodecs", "x264": "jpeg"}[encoder],
        )
        with job.lock:
            job.session = session
        with contextlib.closing(session):
            # Chromium starts while the audio is probed, decoded and analysed in a thread.
            prep = _while_browser_starts(
                session.open,
                job,
                check,
                (lambda stop: _prepare(audio_path, raw_config, assets, tmp, job, stop)) if shared is None
                else (lambda stop: _from_shared(shared, raw_config, assets)),
            )
            config = prep.config
            width, height = parse_size(config["size"])
            fps, total, duration = config["fps"], prep.features.frame_count, prep.features.duration
            mark("startup")
            timings.update(prep.seconds)  # these ran beside the start-up, inside its seconds
            job.beat()  # from here on, a page that stops answering for STALL_SECONDS is killed
            log.info(
                "render_start",
                extra={
                    "template": config["template"],
                    "size": config["size"],
                    "fps": fps,
                    "audio_seconds": duration,
                    "frames": total,
                    "workdir": str(tmp),
                },
            )
            check()
            session.setup(
                prep.features,
                config=config,
                assets={name: assets[name] for name in asset_names(config).values()},
                codecs=encode.h264_codecs(width, height, fps),
                bitrate=encode.webcodecs_bitrate(width, height, fps),
            )
            mark("page_setup")
            check()
            ticker = ProgressTicker(progress, total, job.beat)
            staged = tmp / "output.mp4"
            if session.mode == "webcodecs":
                # the mux runs beside the capture: the page's H.264 goes straight into FFmpeg
                # (stream copy), next to the AAC that was encoded while the browser started
                if prep.audio is not None:
                    encode.finish_process(prep.audio, timeout=time_left(deadline, 600))
                check()
                sink = mux = encode.start_mux(None, prep.audio_m4a, staged, fps=fps)
                used_encoder, codec = "webcodecs", session.info.get("codec") or "h264"
            else:  # canvas JPEGs to libx264, muxed with the audio afterwards
                video_path = tmp / "video.mp4"
                sink, mux = encode.start_x264(video_path, image_format="jpeg", fps=fps), None
                used_encoder, codec = "x264", "libx264"
            job.track(sink)
            session.stream(
                0,
                total,
                on_data=lambda data, sizes: feed_stdin(sink, data),
                on_frames=ticker.update,
                check=check,
            )
            if mux is None:
                encode.finish_process(sink, timeout=time_left(deadline, 600))
            mark("capture")
            _report(progress, RenderProgress(total, total, 99.0, 1.0, "mux"))
            if mux is None:
                if prep.audio is not None:
                    encode.finish_process(prep.audio, timeout=time_left(deadline, 600))
                check()
                mux = encode.start_mux(video_path, prep.audio_m4a, staged, fps=fps)
                job.track(mux)
            else:
                mux.stdin.close()  # end of stream: FFmpeg finishes the file (+faststart)
            session.close()  # while FFmpeg muxes
            encode.finish_process(mux, timeout=time_left(deadline, 600))
            mark("mux")
        check()
        result = _finish(
            staged, output_path, config, total, duration, width, height, fps, used_encoder, codec, started
        )
        mark("verify")
        result = replace(result, timings=timings)
        _report(progress, RenderProgress(total, total, 100.0, 0.0, "done"))
        log.info("render_done", extra={k: v for k, v in result.to_dict().items() if k != "config"})
        succeeded = True
        return result
    except (RenderCanceled, RenderFailed) as exc:
        log.info(
            "render_stopped",
            extra={"timed_out": job.timed_out, "code": exc.code, "detail": getattr(exc, "detail", None)},
        )
        if job.timed_out and not isinstance(exc, RenderTimeout):
            raise RenderTimeout() from exc
        if job.stalled:
            raise RenderFailed("The renderer stopped responding.", code="render_stalled") from exc
        out_of_space = disk_full_error(exc, tmp)
        if out_of_space is not None:
            raise out_of_space from exc
        raise
    except Exception as exc:
        if job.timed_out:
            raise RenderTimeout() from exc
        if job.stalled:
            raise RenderFailed("The renderer stopped responding.", code="render_stalled") from exc
        if should_cancel is not None and not isinstance(exc, InvalidInput) and should_cancel():
            raise RenderCanceled() from exc
        raise
    finally:
        # cleanup itself is bounded: the watchdog stays armed until it is done
        job.deadline = min(job.deadline or math.inf, time.monotonic() + CLEANUP_SECONDS)
        job.kill_processes()
        if job.session is not None:
            if not succeeded:
                job.session.discard_browser()  # a shared warm browser is not reused after an error
            job.session.close()
        for process in job.processes:
            stop_process(process)
        job.finished.set()
        shutil.rmtree(tmp, ignore_errors=True)


def _prepare(
    audio_path: Path,
    raw_config: dict,
    assets: dict[str, Path],
    tmp: Path,
    job: RenderSupervisor,
    should_stop: Callable[[], None],
) -> _Prepared:
    began = time.monotonic()
    info = probe_audio(audio_path)
    probed = time.monotonic()
    config = normalize_config(raw_config, audio_duration=info.duration, available_assets=set(assets))
    should_stop()
    # the sound is encoded once, in the background, from the same trimmed range the analysis reads
    audio_m4a = tmp / "audio.m4a"
    audio = encode.start_audio(
        audio_path,
        audio_m4a,
        trim_start=config["trim_start"],
        duration=config["trim_end"] - config["trim_start"],
        channels=info.channels,
    )
    job.track(audio)
    features = analyze_file(
        audio_path,
        tmp / "features.bin",
        fps=config["fps"],
        source_rate=info.sample_rate,
        trim_start=config["trim_start"],
        trim_end=config["trim_end"],
        should_stop=should_stop,
        on_process=job.track,
    )
    return _Prepared(
        config=config, channels=info.channels, features=features, audio=audio, audio_m4a=audio_m4a,
        audio_duration=info.duration,
        seconds={"probe": round(probed - began, 3), "analysis": round(time.monotonic() - probed, 3)},
    )


def _from_shared(shared: SharedAudio, raw_config: dict, assets: dict[str, Path]) -> _Prepared:
    config = normalize_config(raw_config, audio_duration=shared.audio_duration, available_assets=set(assets))
    if (config["fps"], config["trim_start"], config["trim_end"]) != (
        shared.config["fps"], shared.config["trim_start"], shared.config["trim_end"]):
        raise ValueError("shared audio was analysed for another frame rate or trim")
    return _Prepared(config=config, channels=shared.channels, features=shared.features, audio=None,
                     audio_m4a=shared.audio_m4a, audio_duration=shared.audio_duration)


def prepare_audio(
    audio_path,
    config: dict,
    workdir: Path,
    *,
    assets: dict[str, Path] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    timeout: float | None = None,
) -> SharedAudio:
    """Probe, encode the sound and analyse ``audio_path`` once, into ``workdir`` (kept by the
    caller while the formats render with ``render_video(..., shared=...)``)."""
    deadline = time.monotonic() + timeout if timeout else None
    job = RenderSupervisor(deadline)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)

    def should_stop() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise RenderTimeout()
        if should_cancel is not None and should_cancel():
            raise RenderCanceled()

    try:
        prep = _prepare(Path(audio_path), config, {n: Path(p) for n, p in (assets or {}).items()},
                        workdir, job, should_stop)
        encode.finish_process(prep.audio, timeout=time_left(deadline, 600))
        should_stop()
    finally:
        job.kill_processes()
        for process in job.processes:
            stop_process(process)
    return SharedAudio(config=prep.config, audio_duration=prep.audio_duration,
                       channels=prep.channels, features=prep.features, audio_m4a=prep.audio_m4a)


def _while_browser_starts(start_browser, job: RenderSupervisor, check, work) -> _Prepared:
    """Run ``work(should_stop)`` in a thread while ``start_browser()`` runs here; cancel both together."""
    stop = threading.Event()

    def should_stop() -> None:
        if stop.is_set():
            raise RenderCanceled()

    with ThreadPoolExecutor(1, thread_name_prefix="render-prepare") as pool:
        future = pool.submit(work, should_stop)
        try:
            try:
                start_browser()
            except BaseException:
                if future.done() and future.exception() is not None:
                    raise future.exception() from None  # bad input explains a failed start best
                raise
            while True:
                try:
                    return future.result(timeout=0.1)
                except FuturesTimeout:
                    check()
        except BaseException:
            stop.set()
            job.kill_processes()
            raise


class _Stopwatch:
    def __init__(self, timings: dict[str, float]):
        self.timings, self.last = timings, time.monotonic()

    def __call__(self, stage: str) -> None:
        now = time.monotonic()
        self.timings[stage] = round(now - self.last, 3)
        self.last = now


# A temp disk with less than this free when an FFmpeg step failed ran out of space.
FULL_DISK_BYTES = 2 * 1024 * 1024


def disk_full_error(exc: BaseException, tmp: Path) -> OSError | None:
    """ENOSPC for an encode that failed on a full temp disk, whatever FFmpeg said.

    The step that hit the full disk is not always the one that reports: the AAC encoder, running
    in the background, can leave a truncated ``audio.m4a`` and exit cleanly, and the mux then
    fails with "moov atom not found". The free space is read before the render's files are
    removed, while the disk is still as full as the failing write found it.
    """
    if not isinstance(exc, RenderFailed) or exc.code != "encode_failed":
        return None
    try:
        free = shutil.disk_usage(tmp).free
    except OSError:
        return None
    if free >= FULL_DISK_BYTES:
        return None
    return OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} ({free} bytes free on the temp disk)",
                   str(tmp))


def feed_stdin(ffmpeg, data: bytes) -> None:
    try:
        ffmpeg.stdin.write(data)
    except BrokenPipeError as exc:
        stderr = ffmpeg.stderr.read().decode(errors="replace") if ffmpeg.stderr else ""
        raise RenderFailed(
            "The video could not be encoded.", code="encode_failed", detail=stderr[-800:]
        ) from exc


def time_left(deadline: float | None, default: float) -> float:
    return default if deadline is None else max(1.0, deadline - time.monotonic() + 1.0)


def _report(progress, value: RenderProgress) -> None:
    if progress is not None:
        progress(value)


class ProgressTicker:
    """Throttled progress with an ETA from the capture rate so far."""

    def __init__(self, progress, total: int, beat: Callable[[], None]):
        self.progress, self.total, self.beat = progress, max(total, 1), beat
        self.started = time.monotonic()
        self.last = 0.0
        self.frames = -1
        beat()

    def update(self, frames: int) -> None:
        now = time.monotonic()
        if frames != self.frames:
            self.frames = frames
            self.beat()
        if self.progress is None or (now - self.last < PROGRESS_INTERVAL and frames < self.total):
            return
        self.last = now
        elapsed = now - self.started
        eta = (self.total - frames) * elapsed / frames if frames else None
        percent = min(99.0, 100.0 * frames / self.total)
        self.progress(
            RenderProgress(frames, self.total, round(percent, 2), None if eta is None else round(eta, 1))
        )


def _finish(
    staged: Path,
    output_path: Path,
    config: dict,
    total: int,
    duration: float,
    width: int,
    height: int,
    fps: int,
    used_encoder: str,
    codec: str,
    started: float,
) -> RenderResult:
    video = encode.probe_video(staged)
    if video.frame_count != total or (video.width, video.height) != (width, height):
        raise RenderFailed(
            code="output_invalid",
            detail=f"output has {video.frame_count} frames {video.width}x{video.height}, "
            f"expected {total} at {width}x{height}",
        )
    output_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(staged), str(output_path))
    digest = hashlib.sha256()
    with open(output_path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    wall = time.monotonic() - started
    return RenderResult(
        path=output_path,
        duration_seconds=duration,
        frame_count=total,
        width=width,
        height=height,
        fps=fps,
        size_bytes=os.path.getsize(output_path),
        sha256=digest.hexdigest(),
        encoder=used_encoder,
        codec=codec,
        wall_seconds=round(wall, 3),
        realtime_factor=round(duration / wall, 3) if wall > 0 else 0.0,
        config=config,
    )
