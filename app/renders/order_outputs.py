"""The videos of one render attempt: one for a single-format job, one per format for an order of
several. An order's audio is probed, encoded and analysed once (``prepare_audio``) and shared by
every format; each finished format is kept locally (``workspace.keep_output(name=<WxH>)``) until
it is stored, so a retried attempt renders only the formats it has not finished yet. Progress
runs from 0 to 100 over the whole order.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from flask import current_app

from app.adapters import get_storage
from app.adapters.storage import StorageError
from app.delivery.job_storage import image_key, output_key
from app.delivery.links import download_filename
from app.models import RenderJob
from app.rendering.catalog import asset_names, formats_of
from app.rendering.pipeline import RenderProgress, prepare_audio, render_video
from app.renders.workspace import keep_output, kept_output, sha256_file
from app.web.metrics import observe_render

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Video:
    """A finished video of the attempt, kept locally until stored."""

    size: str
    path: Path
    meta: dict  # sha256, size (bytes), duration, ...


def is_order(config: dict | None) -> bool:
    """Whether ``config`` asks for several formats."""
    return len(formats_of(config or {})) > 1


def single_format_config(config: dict, size: str) -> dict:
    """The config one format of an order renders with."""
    return {**{k: v for k, v in config.items() if k != "formats"}, "size": size}


class OrderProgress:
    """Progress of format ``index`` of ``count`` as a share of the whole order."""

    def __init__(self, report, index: int, count: int, started: float, done_before: int):
        self.report, self.index, self.count = report, index, count
        self.started, self.done_before = started, done_before

    def __call__(self, progress: RenderProgress) -> None:
        share = (self.index * 100.0 + progress.percent) / self.count
        eta = progress.eta_seconds
        remaining = self.count - self.index - 1
        if eta is not None and remaining:
            rendered = self.index - self.done_before + progress.percent / 100.0
            per_format = (time.monotonic() - self.started) / rendered if rendered > 0.05 else None
            eta = None if per_format is None else eta + remaining * per_format
        self.report(replace(progress, percent=round(min(99.0, share), 2), eta_seconds=eta))


def render_order(job: RenderJob, audio_path: Path, assets: dict[str, Path], workdir: Path, *,
                 progress, should_cancel, timeout: float) -> list[Video]:
    """Every format of ``job`` (an order of several), the audio analysed once for all."""
    sizes = formats_of(job.config)
    kept = {size: kept_output(job.id, name=size) for size in sizes}
    missing = [size for size in sizes if kept[size] is None]
    deadline = time.monotonic() + timeout
    if missing:
        log.info("render_order_start", extra={"render_job_id": str(job.id), "formats": sizes,
                                              "to_render": missing})
        shared = prepare_audio(audio_path, job.config, workdir / "shared", assets=assets,
                               should_cancel=should_cancel, timeout=timeout)
        started = time.monotonic()
        done_before = len(sizes) - len(missing)
        for size in missing:
            index = sizes.index(size)
            engine_dir = workdir / f"engine-{size}"
            engine_dir.mkdir()
            result = render_video(
                audio_path, workdir / f"video-{size}.mp4", single_format_config(job.config, size),
                assets=assets, progress=OrderProgress(progress, index, len(sizes), started, done_before),
                should_cancel=should_cancel, timeout=max(30.0, deadline - time.monotonic()),
                chromium_path=current_app.config["CHROMIUM_PATH"], workdir=engine_dir, shared=shared)
            observe_render(single_format_config(job.config, size), result.wall_seconds,
                           result.realtime_factor)
            meta = {"sha256": sha256_file(result.path), "size": result.size_bytes,
                    "duration": result.duration_seconds, "encoder": result.encoder,
                    "frames": result.frame_count, "realtime_factor": result.realtime_factor}
            kept[size] = (keep_output(job.id, result.path, meta, name=size), meta)
            log.info("render_output_kept", extra={"render_job_id": str(job.id), "format": size, **meta})
    return [Video(size, *kept[size]) for size in sizes]


def download_inputs(job: RenderJob, workdir: Path) -> tuple[Path, dict[str, Path]]:
    """The job's audio and the images its config uses, downloaded into ``workdir``."""
    storage = get_storage()
    audio_path = workdir / f"input{Path(job.audio_key).suffix}"
    storage.download_to(job.audio_key, audio_path)
    assets = {name: storage.download_to(image_key(job.user_id, job.id, name), workdir / f"{name}.png")
              for name in set(asset_names(job.config).values())}
    return audio_path, assets


def store_videos(job: RenderJob, videos: list[Video]) -> list[dict]:
    """Upload each video under the job's keys (the first format at the job's plain key);
    the outputs as ``complete_render`` records them."""
    storage = get_storage()
    several = len(videos) > 1
    outputs = []
    for position, video in enumerate(videos):
        key = output_key(job.user_id, job.id, video.size if several and position else None)
        stored = storage.put_file(key, video.path, content_type="video/mp4",
                                  download_name=download_filename(job, video.size if several else None))
        if stored.size != video.meta["size"]:
            raise StorageError(f"stored video is {stored.size} bytes, expected {video.meta['size']}")
        outputs.append({"size": video.size, "output_key": key, "size_bytes": video.meta["size"],
                        "duration": video.meta["duration"], "checksum": video.meta["sha256"]})
    return outputs


def delete_stored(outputs: list[dict]) -> None:
    storage = get_storage()
    for output in outputs:
        storage.delete(output["output_key"])
