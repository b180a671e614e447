"""The render task: one attempt of one render job on a worker.

Loads the row (and claims it for this attempt), downloads the inputs to a per-job temp dir,
runs the render engine with progress written to the row at most once a second, keeps the MP4
in the job's output folder until it is stored, uploads it, marks the job completed and hands it
to delivery. Errors raise, so RQ retries and records them; the failure callback stores the
user-facing error on the row (the traceback goes to the log only).
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
import uuid
from pathlib import Path

from flask import current_app, has_app_context
from rq import get_current_job
from rq.exceptions import AbandonedJobError
from rq.timeouts import JobTimeoutException

from app.adapters import get_storage
from app.adapters.storage import StorageError, StorageNotFound
from app.delivery.job_storage import image_key
from app.extensions import db
from app.models import RenderJob
from app.rendering.catalog import asset_names
from app.rendering.errors import EngineError, RenderCanceled
from app.rendering.pipeline import render_video
from app.renders import execution, order_outputs
from app.renders.workspace import keep_output, kept_output, scratch_dir, sha256_file
from app.tasks.jobs import is_final_attempt, task
from app.tasks.queues import DEFAULT
from app.web.metrics import observe_job_start, observe_render

log = logging.getLogger(__name__)

PROGRESS_WRITE_INTERVAL = 1.0  # seconds between progress writes to the row
CANCEL_POLL_INTERVAL = 1.0  # seconds between cancel checks
HEARTBEAT_INTERVAL = 2.0  # seconds between progress_updated_at stamps while rendering
RENDER_RETRIES = 2
RENDER_RETRY_INTERVALS = (30, 120)


class RenderWatcher(threading.Thread):
    """Polls the row from its own connection: flags a cancel and stamps a heartbeat."""

    def __init__(self, engine, job_id: uuid.UUID, rq_job_id: str):
        super().__init__(name=f"render-watcher-{job_id}", daemon=True)
        self.engine, self.job_id, self.rq_job_id = engine, job_id, rq_job_id
        self.canceled = threading.Event()
        self._halt = threading.Event()

    def run(self) -> None:
        last_touch = 0.0
        while not self._halt.is_set():
            touch = time.monotonic() - last_touch >= HEARTBEAT_INTERVAL
            try:
                with self.engine.connect() as conn:
                    keep_going = execution.heartbeat(conn, self.job_id, self.rq_job_id, touch=touch)
                if touch:
                    last_touch = time.monotonic()
                if not keep_going:
                    self.canceled.set()
                    return
            except Exception:  # a database hiccup must not kill the render; try again
                log.warning("render_watcher_error", exc_info=True)
            self._halt.wait(CANCEL_POLL_INTERVAL)

    def should_cancel(self) -> bool:
        return self.canceled.is_set()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


class ProgressWriter:
    """The engine's progress callback: ``write(progress)`` at most once per interval."""

    def __init__(self, write):
        self.write = write
        self.last_write = 0.0

    def __call__(self, progress) -> None:
        now = time.monotonic()
        if now - self.last_write < PROGRESS_WRITE_INTERVAL:
            return
        self.last_write = now
        self.write(progress)


def job_progress(job_id: uuid.UUID, rq_job_id: str) -> ProgressWriter:
    """Progress and ETA written to the job's row."""
    return ProgressWriter(lambda progress: execution.record_progress(
        job_id, rq_job_id, progress.percent, progress.eta_seconds))


def render_to_output(job: RenderJob, rq_job_id: str, timeout: int, workdir: Path,
                     watcher: RenderWatcher) -> tuple[Path, dict]:
    """Download the inputs and render; the video lands in the job's kept output folder."""
    storage = get_storage()
    audio_path = workdir / f"input{Path(job.audio_key).suffix}"
    storage.download_to(job.audio_key, audio_path)
    assets: dict[str, Path] = {}
    for name in set(asset_names(job.config).values()):
        assets[name] = storage.download_to(image_key(job.user_id, job.id, name),
                                           workdir / f"{name}.png")
    engine_dir = workdir / "engine"
    engine_dir.mkdir()
    result = render_video(
        audio_path, workdir / "video.mp4", job.config, assets=assets,
        progress=job_progress(job.id, rq_job_id), should_cancel=watcher.should_cancel,
        timeout=max(60, timeout - 60), chromium_path=current_app.config["CHROMIUM_PATH"],
        workdir=engine_dir)
    observe_render(job.config, result.wall_seconds, result.realtime_factor)
    meta = {"sha256": sha256_file(result.path), "size": result.size_bytes,
            "duration": result.duration_seconds, "encoder": result.encoder,
            "frames": result.frame_count, "realtime_factor": result.realtime_factor}
    video = keep_output(job.id, result.path, meta)
    log.info("render_output_kept", extra={"render_job_id": str(job.id), **meta})
    return video, meta


@task(queue=DEFAULT, timeout=3600, retries=RENDER_RETRIES, retry_intervals=RENDER_RETRY_INTERVALS,
      on_failure="app.renders.tasks.on_render_task_failure")
def render_job_task(render_job_id: str, attempt: int) -> str | None:
    """Attempt ``attempt`` of a render job; its RQ job id and time limit are RQ's own."""
    rq_job = get_current_job()
    if rq_job is None:
        raise RuntimeError("the render task runs on an RQ worker")
    observe_job_start(rq_job)
    job = execution.claim_render(uuid.UUID(render_job_id), rq_job.id)
    if job is None:
        return None
    log.info("render_attempt", extra={"render_job_id": str(job.id), "attempt": attempt,
                                      "timeout": rq_job.timeout})
    watcher = RenderWatcher(db.engine, job.id, rq_job.id)
    watcher.start()
    try:
        with scratch_dir("work", prefix=f"{job.id}-") as workdir:
            if order_outputs.is_order(job.config):  # several formats: the audio analysed once
                audio_path, assets = order_outputs.download_inputs(job, workdir)
                videos = order_outputs.render_order(
                    job, audio_path, assets, workdir, progress=job_progress(job.id, rq_job.id),
                    should_cancel=watcher.should_cancel, timeout=max(60, rq_job.timeout - 60))
            else:
                kept = kept_output(job.id)
                if kept is not None:
                    log.info("render_output_reused", extra={"render_job_id": str(job.id)})
                video, meta = kept or render_to_output(job, rq_job.id, rq_job.timeout, workdir, watcher)
                videos = [order_outputs.Video(job.config["size"], video, meta)]
        if watcher.should_cancel():
            raise RenderCanceled()
        outputs = order_outputs.store_videos(job, videos)
        first = outputs[0]
        if not execution.complete_render(job, rq_job.id, output_key=first["output_key"],
                                         size=first["size_bytes"], duration=first["duration"],
                                         checksum=first["checksum"], outputs=outputs):
            order_outputs.delete_stored(outputs)  # canceled while uploading
            raise RenderCanceled()
        return "completed"
    except RenderCanceled:
        execution.finish_canceled(job.id, rq_job.id)
        return "canceled"
    except Exception:
        log.exception("render_attempt_error", extra={"render_job_id": str(job.id),
                                                     "rq_job_id": rq_job.id})
        db.session.rollback()
        raise
    finally:
        watcher.stop()


NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device", as FFmpeg reports it


def _out_of_space(exc: BaseException | None) -> bool:
    """The temp disk filled up: ENOSPC in the exception's chain, or in the stderr of the
    engine's FFmpeg (an encode that failed for want of space)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if isinstance(exc, EngineError) and NO_SPACE in (exc.detail or ""):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def user_facing_error(exc_type, exc_value) -> tuple[str, str]:
    if _out_of_space(exc_value):
        return "disk_full", "The worker ran out of disk space for this render. You can retry it."
    if isinstance(exc_value, EngineError):  # RenderFailed, RenderTimeout, AudioUnsupported, ...
        return exc_value.code, exc_value.message
    if exc_type is not None and issubclass(exc_type, JobTimeoutException):
        return "render_timeout", "The render took longer than allowed and was stopped."
    if exc_type is not None and issubclass(exc_type, AbandonedJobError):
        return "worker_lost", "The worker rendering this video stopped unexpectedly."
    if isinstance(exc_value, StorageNotFound):
        return "input_missing", "The uploaded file is no longer available; upload it again."
    if isinstance(exc_value, StorageError):
        return "storage_unavailable", "The finished video could not be stored."
    return execution.GENERIC_ERROR


def on_render_task_failure(rq_job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback (each failed attempt): record the error, ``failed`` when final.

    The worker runs it inside its app context (in the work horse, or in its maintenance pass
    for a job whose worker was lost). Anywhere else the row is left to the reconciler, which
    finds a queued/rendering row whose RQ job has ended.
    """
    render_job_id = rq_job.args[0]
    code, message = user_facing_error(exc_type, exc_value)
    final = is_final_attempt(rq_job)
    if not has_app_context():
        log.warning("render_failure_not_recorded", extra={
            "render_job_id": render_job_id, "rq_job_id": rq_job.id, "reason": "no app context"})
        return
    try:
        execution.record_render_failure(uuid.UUID(render_job_id), rq_job.id, code, message,
                                        final=final)
    finally:
        db.session.remove()
    log.error("render_job_failed", extra={"render_job_id": render_job_id, "rq_job_id": rq_job.id,
                                          "error_code": code, "final": final,
                                          "error_type": getattr(exc_type, "__name__", None)})
