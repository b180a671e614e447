"""The tasks of a chunked render: plan (analyse once, write the chunk rows), one task per chunk,
and the join. The rules they follow are in ``app/renders/chunking.py``.

    render-<job>-<n>              plan_chunks_task   claims the row like render_job_task
    render-<job>-<n>-audio        encode_audio_task  the trimmed audio to AAC, once, beside the
                                                     analysis and the chunks
    render-<job>-<n>-c<i>-<k>     render_chunk_task  frames of chunk i, k-th RQ job of it
    render-<job>-<n>-join         join_chunks_task   concat, audio, upload, complete

The audio job takes the AAC encode off the render's serial path (it was most of the join's
time): another worker runs it while the plan analyses. It is an optimisation, not a step: when
its object is missing (it failed, or has not finished) the join encodes the audio itself.

A chunk that fails is retried alone by RQ (its own ``Retry``); when its retries are spent the
whole job fails and every other chunk stops. A chunk task sees a cancel through the same watcher
as the single render task (the row's ``cancel_requested``/status), stops within a second and
leaves its temp folder removed; ``service.cancel_render`` takes the queued ones off the queue
and deletes what the chunks stored.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path

import redis
from flask import current_app, has_app_context
from rq import get_current_job

from app.adapters import get_storage
from app.adapters.storage import StorageError, StorageNotFound
from app.delivery.job_storage import (
    chunk_audio_key,
    chunk_features_key,
    chunk_plan_key,
    image_key,
    output_key,
    segment_key,
)
from app.delivery.links import download_filename
from app.extensions import db
from app.models import ChunkStatus, RenderChunk, RenderJob, RenderStatus
from app.rendering.catalog import asset_names
from app.rendering.chunks import (
    FrameRange,
    analyze_once,
    encode_track_audio,
    features_meta,
    join_segments,
    load_features,
    render_segment,
    split_frames,
)
from app.rendering.errors import RenderCanceled, RenderFailed
from app.renders import chunking, execution
from app.renders.budget import MIN_JOB_TIMEOUT, job_timeout
from app.renders.rows import lock_render_job
from app.renders.tasks import (
    RENDER_RETRIES,
    RENDER_RETRY_INTERVALS,
    ProgressWriter,
    RenderWatcher,
    user_facing_error,
)
from app.renders.workspace import keep_output, kept_output, scratch_dir, sha256_file
from app.tasks.jobs import fetch_job, is_final_attempt, remove_job, task
from app.tasks.queues import DEFAULT

log = logging.getLogger(__name__)

CHUNK_RETRIES = 2
CHUNK_RETRY_INTERVALS = (5, 30)  # a lost chunk costs seconds, not the render


def _rq_job():
    rq_job = get_current_job()
    if rq_job is None:
        raise RuntimeError("chunk tasks run on an RQ worker")
    return rq_job


def _download_inputs(job: RenderJob, config: dict, workdir: Path) -> dict[str, Path]:
    storage = get_storage()
    return {name: storage.download_to(image_key(job.user_id, job.id, name), workdir / f"{name}.png")
            for name in set(asset_names(config).values())}


# --- plan ---------------------------------------------------------------------------------------
@task(queue=DEFAULT, timeout=3600, retries=RENDER_RETRIES, retry_intervals=RENDER_RETRY_INTERVALS,
      on_failure="app.renders.tasks.on_render_task_failure")
def plan_chunks_task(render_job_id: str, attempt: int) -> str | None:
    """Attempt ``attempt`` of a chunked render: analyse the audio once, store the features and
    the final config for every worker, write the chunk rows and queue the chunks."""
    rq_job = _rq_job()
    job = execution.claim_render(uuid.UUID(render_job_id), rq_job.id)
    if job is None:
        return None
    storage = get_storage()
    with scratch_dir("work", prefix=f"{job.id}-") as workdir:
        audio_path = storage.download_to(job.audio_key, workdir / f"input{Path(job.audio_key).suffix}")
        assets = _download_inputs(job, job.config, workdir)
        config, features = analyze_once(audio_path, job.config, assets, workdir,
                                        on_config=lambda final: push_audio(job, job.attempts, final))
        storage.put_file(chunk_features_key(job.user_id, job.id, job.attempts), features.path,
                         content_type="application/octet-stream")
        plan_path = workdir / "plan.json"
        plan_path.write_text(json.dumps({"config": config, "features": features_meta(features)}))
        storage.put_file(chunk_plan_key(job.user_id, job.id, job.attempts), plan_path,
                         content_type="application/json")
    workers = chunking.fleet_size(job.priority)
    ranges = split_frames(features.frame_count, int(config["fps"]), chunking.chunk_seconds(), workers=workers)
    job = lock_render_job(job.id)
    if not chunking.attempt_is_running(job, rq_job.id):
        db.session.rollback()
        execution.finish_canceled(uuid.UUID(render_job_id), rq_job.id)
        if job is not None:
            chunking.delete_chunk_objects(job)
        return "canceled"
    chunks = chunking.plan_chunks(job, ranges)
    db.session.commit()
    log.info("render_chunks_planned", extra={"render_job_id": str(job.id), "attempt": job.attempts,
                                             "chunks": len(chunks), "frames": features.frame_count,
                                             "workers": workers})
    push_chunks(job, chunks)
    return "planned"


def chunk_timeout(job: RenderJob, chunk: RenderChunk) -> int:
    config = job.config or {}
    fps = int(config.get("fps", 30))
    return job_timeout(chunk.frames / fps, config.get("size", "1920x1080"), fps)


def push_chunks(job: RenderJob, chunks: list[RenderChunk]) -> int:
    """Queue every unfinished chunk whose RQ job is not there; the number queued."""
    pushed = 0
    for chunk in chunks:
        if chunk.status == ChunkStatus.DONE:
            continue
        try:
            if fetch_job(chunk.rq_job_id) is None:
                render_chunk_task.enqueue(str(job.id), chunk.attempt, chunk.position,
                                          job_id=chunk.rq_job_id, queue=job.priority,
                                          timeout=chunk_timeout(job, chunk))
                pushed += 1
        except redis.RedisError:  # the rows are committed: the reconciler pushes them later
            log.warning("render_chunk_enqueue_failed", extra={"render_job_id": str(job.id),
                                                              "rq_job_id": chunk.rq_job_id})
    return pushed


def push_audio(job: RenderJob, attempt: int, config: dict) -> None:
    """Queue the audio encode of ``attempt`` (first in line: it is short and the join needs it),
    unless it is queued or running already."""
    rq_job_id = chunking.audio_rq_job_id(job.id, attempt)
    trim = {k: config[k] for k in ("trim_start", "trim_end", "fps")}
    try:
        previous = fetch_job(rq_job_id)
        if previous is not None:
            if previous.get_status(refresh=False) in ("queued", "started", "scheduled", "deferred"):
                return
            remove_job(rq_job_id)  # an earlier try of the plan's: its object went with that try
        encode_audio_task.enqueue(str(job.id), attempt, trim, job_id=rq_job_id, queue=job.priority,
                                  timeout=int(MIN_JOB_TIMEOUT + float(job.audio_duration)), at_front=True)
    except redis.RedisError:  # the join encodes the audio itself
        log.warning("render_audio_enqueue_failed", extra={"render_job_id": str(job.id)})


def push_join(job: RenderJob, attempt: int) -> None:
    rq_job_id = chunking.join_rq_job_id(job.id, attempt)
    seconds = float(job.audio_duration)
    try:
        if fetch_job(rq_job_id) is None:
            join_chunks_task.enqueue(str(job.id), attempt, job_id=rq_job_id, queue=job.priority,
                                     timeout=int(MIN_JOB_TIMEOUT + seconds), at_front=True)
    except redis.RedisError:
        log.warning("render_join_enqueue_failed", extra={"render_job_id": str(job.id)})


# --- one chunk ----------------------------------------------------------------------------------
@task(queue=DEFAULT, timeout=3600, retries=CHUNK_RETRIES, retry_intervals=CHUNK_RETRY_INTERVALS,
      on_failure="app.renders.chunk_tasks.on_chunk_task_failure")
def render_chunk_task(render_job_id: str, attempt: int, position: int) -> str | None:
    """Render chunk ``position`` of attempt ``attempt`` to a silent segment in storage."""
    rq_job = _rq_job()
    claimed = chunking.claim_chunk(uuid.UUID(render_job_id), attempt, position, rq_job.id)
    if claimed is None:
        return None
    job, chunk = claimed
    run = chunking.AttemptRef(job.id, attempt, job.rq_job_id, job.started_at)
    frames = FrameRange(chunk.position, chunk.frame_start, chunk.frame_end)
    key = segment_key(job.user_id, job.id, attempt, position, chunk.enqueues)
    chunk_id = chunk.id
    log.info("render_chunk_start", extra={"render_job_id": render_job_id, "attempt": attempt,
                                          "chunk": position, "start": frames.start, "end": frames.end,
                                          "rq_job_id": rq_job.id})
    watcher = RenderWatcher(db.engine, job.id, run.rq_job_id)
    watcher.start()
    storage = get_storage()
    try:
        with scratch_dir("work", prefix=f"{job.id}-") as workdir:
            plan = json.loads(storage.download_to(chunk_plan_key(job.user_id, job.id, attempt),
                                                  workdir / "plan.json").read_text())
            features = load_features(
                storage.download_to(chunk_features_key(job.user_id, job.id, attempt),
                                    workdir / "features.bin"), plan["features"])
            assets = _download_inputs(job, plan["config"], workdir)
            engine_dir = workdir / "engine"
            engine_dir.mkdir()
            result = render_segment(
                features, plan["config"], frames, workdir / "segment.mp4", assets=assets,
                progress=ProgressWriter(lambda p: chunking.record_chunk_progress(
                    run, chunk_id, rq_job.id, p.frames_done)),
                should_cancel=watcher.should_cancel, timeout=max(60, rq_job.timeout - 60),
                chromium_path=current_app.config["CHROMIUM_PATH"], workdir=engine_dir)
            storage.put_file(key, result.path, content_type="video/mp4")
        outcome = chunking.finish_chunk(job.id, attempt, position, rq_job.id, segment_key=key,
                                        encoder=result.encoder, wall_seconds=result.wall_seconds)
        if outcome == "stopped":  # canceled, failed or handed to another RQ job meanwhile
            storage.delete(key)
            log.info("render_chunk_stopped", extra={"render_job_id": render_job_id, "chunk": position,
                                                    "after": "finishing"})
            return "stopped"
        if outcome == "join":
            push_join(job, attempt)
        return "done"
    except RenderCanceled:
        log.info("render_chunk_stopped", extra={"render_job_id": render_job_id, "chunk": position,
                                                "after": "drawing"})
        return "canceled"
    except Exception:
        log.exception("render_chunk_error", extra={"render_job_id": render_job_id, "chunk": position,
                                                   "rq_job_id": rq_job.id})
        db.session.rollback()
        raise
    finally:
        watcher.stop()


def on_chunk_task_failure(rq_job, connection, exc_type, exc_value, traceback) -> None:
    """After each failed try of a chunk: back to pending for RQ's retry, or fail the job."""
    render_job_id, attempt, position = rq_job.args[:3]
    if not has_app_context():  # the reconciler finds the chunk's ended RQ job
        log.warning("render_chunk_failure_not_recorded", extra={"rq_job_id": rq_job.id})
        return
    code, message = user_facing_error(exc_type, exc_value)
    final = is_final_attempt(rq_job)
    log.error("render_chunk_failed", extra={"render_job_id": render_job_id, "chunk": position,
                                            "rq_job_id": rq_job.id, "error_code": code, "final": final})
    try:
        if final:
            fail_chunked_render(uuid.UUID(render_job_id), attempt, code, message, current=rq_job.id)
        else:
            chunking.release_chunk(uuid.UUID(render_job_id), attempt, position, rq_job.id)
    finally:
        db.session.remove()


def fail_chunked_render(job_id: uuid.UUID, attempt: int, code: str, message: str, *,
                        current: str | None = None) -> bool:
    """A chunk or the join failed for good: the job fails, every other chunk stops, the stored
    features and segments go. False when the attempt was no longer the job's."""
    job = lock_render_job(job_id)
    attempt_rq = f"render-{job_id}-{attempt}"
    if job is None or job.rq_job_id != attempt_rq or \
            RenderStatus(job.status) not in (RenderStatus.QUEUED, RenderStatus.RENDERING):
        db.session.rollback()
        return False
    others = [i for i in chunking.pending_rq_job_ids(job_id, attempt) if i != current]
    execution.fail_job(job, code, message)
    stop_rq_jobs(others)
    chunking.delete_chunk_objects(job)
    return True


def stop_rq_jobs(rq_job_ids: list[str]) -> None:
    """Take queued chunk/join jobs off their queues (running ones stop through the row)."""
    for rq_job_id in rq_job_ids:
        try:
            rq_job = fetch_job(rq_job_id)
            if rq_job is not None and rq_job.get_status(refresh=False) != "started":
                remove_job(rq_job_id)
        except redis.RedisError:
            log.warning("render_chunk_dequeue_failed", extra={"rq_job_id": rq_job_id})


# --- the audio ----------------------------------------------------------------------------------
@task(queue=DEFAULT, timeout=1800, retries=CHUNK_RETRIES, retry_intervals=CHUNK_RETRY_INTERVALS)
def encode_audio_task(render_job_id: str, attempt: int, trim: dict) -> str | None:
    """Encode the trimmed audio of ``attempt`` once and store it for the join (``trim``: the
    final config's ``trim_start``, ``trim_end`` and ``fps``). Stops with the attempt; an object
    stored while the attempt ended is deleted again."""
    rq_job = _rq_job()
    job_id = uuid.UUID(render_job_id)
    attempt_rq = f"render-{job_id}-{attempt}"
    job = db.session.get(RenderJob, job_id, populate_existing=True)
    if not chunking.attempt_is_running(job, attempt_rq):
        db.session.rollback()
        log.info("render_audio_not_runnable", extra={"render_job_id": render_job_id, "attempt": attempt})
        return None
    key = chunk_audio_key(job.user_id, job.id, attempt)
    source_key = job.audio_key
    db.session.rollback()
    watcher = RenderWatcher(db.engine, job_id, attempt_rq)
    watcher.start()
    storage = get_storage()
    try:
        with scratch_dir("work", prefix=f"{job_id}-") as workdir:
            started = time.monotonic()
            audio = storage.download_to(source_key, workdir / f"input{Path(source_key).suffix}")
            encoded = encode_track_audio(audio, trim, workdir / "audio.m4a",
                                         timeout=max(60, rq_job.timeout - 60),
                                         should_cancel=watcher.should_cancel)
            storage.put_file(key, encoded, content_type="audio/mp4")
        job = db.session.get(RenderJob, job_id, populate_existing=True)
        running = chunking.attempt_is_running(job, attempt_rq)
        db.session.rollback()
        if not running:  # canceled, failed or done meanwhile: its cleanup may have run already
            storage.delete(key)
            log.info("render_audio_stopped", extra={"render_job_id": render_job_id, "after": "storing"})
            return "stopped"
        log.info("render_audio_done", extra={"render_job_id": render_job_id, "attempt": attempt,
                                             "seconds": round(time.monotonic() - started, 3)})
        return "done"
    except RenderCanceled:
        log.info("render_audio_stopped", extra={"render_job_id": render_job_id, "after": "encoding"})
        return "canceled"
    except Exception:
        log.exception("render_audio_error", extra={"render_job_id": render_job_id, "rq_job_id": rq_job.id})
        db.session.rollback()
        raise
    finally:
        watcher.stop()


def _encoded_audio(job: RenderJob, attempt: int, workdir: Path) -> Path | None:
    """The audio the audio job stored for ``attempt``, or None (the join then encodes it)."""
    try:
        return get_storage().download_to(chunk_audio_key(job.user_id, job.id, attempt), workdir / "audio.m4a")
    except StorageNotFound:
        log.info("render_join_encodes_audio", extra={"render_job_id": str(job.id), "attempt": attempt})
        return None


# --- the join -----------------------------------------------------------------------------------
@task(queue=DEFAULT, timeout=1800, retries=CHUNK_RETRIES, retry_intervals=CHUNK_RETRY_INTERVALS,
      on_failure="app.renders.chunk_tasks.on_join_task_failure")
def join_chunks_task(render_job_id: str, attempt: int) -> str | None:
    """Join the stored segments of ``attempt`` with the audio, store the video, complete the job."""
    _rq_job()
    job_id = uuid.UUID(render_job_id)
    attempt_rq = f"render-{job_id}-{attempt}"
    job = lock_render_job(job_id)
    chunks = chunking.chunks_of(job_id, attempt)
    if not chunking.attempt_is_running(job, attempt_rq) or not chunks \
            or any(c.status != ChunkStatus.DONE for c in chunks):
        db.session.rollback()
        log.info("render_join_not_runnable", extra={"render_job_id": render_job_id})
        return None
    segments = [c.segment_key for c in chunks]
    encoders = {c.encoder for c in chunks}
    db.session.commit()
    watcher = RenderWatcher(db.engine, job.id, attempt_rq)
    watcher.start()
    storage = get_storage()
    try:
        if len(encoders) != 1:  # a fleet with and without WebCodecs: the streams cannot be copied
            raise RenderFailed(code="segments_mismatch", detail=f"segment encoders {sorted(encoders)}")
        with scratch_dir("work", prefix=f"{job.id}-") as workdir:
            kept = kept_output(job.id)
            if kept is None:
                plan = json.loads(storage.download_to(chunk_plan_key(job.user_id, job.id, attempt),
                                                      workdir / "plan.json").read_text())
                audio = storage.download_to(job.audio_key, workdir / f"input{Path(job.audio_key).suffix}")
                local = [storage.download_to(key, workdir / f"segment-{i:05d}.mp4")
                         for i, key in enumerate(segments)]
                if watcher.should_cancel():
                    raise RenderCanceled()
                encoded_audio = _encoded_audio(job, attempt, workdir)
                joined = join_segments(local, audio, plan["config"], workdir / "video.mp4",
                                       frame_count=int(plan["features"]["frame_count"]), workdir=workdir,
                                       encoded_audio=encoded_audio)
                meta = {"sha256": sha256_file(joined.path), "size": joined.size_bytes,
                        "duration": joined.duration_seconds, "encoder": encoders.pop(),
                        "frames": joined.frame_count, "chunks": len(segments)}
                video = keep_output(job.id, joined.path, meta)
            else:
                video, meta = kept
        if watcher.should_cancel():
            raise RenderCanceled()
        key = output_key(job.user_id, job.id)
        stored = storage.put_file(key, video, content_type="video/mp4", download_name=download_filename(job))
        if stored.size != meta["size"]:
            raise StorageError(f"stored video is {stored.size} bytes, expected {meta['size']}")
        if not execution.complete_render(job, attempt_rq, output_key=key, size=meta["size"],
                                         duration=meta["duration"], checksum=meta["sha256"]):
            raise RenderCanceled()
        chunking.delete_chunk_objects(job)
        log.info("render_join_done", extra={"render_job_id": render_job_id, "chunks": len(segments),
                                            "chunk_seconds": chunking.chunk_timings(job.id, attempt)})
        return "completed"
    except RenderCanceled:
        current = lock_render_job(job_id)
        status = None if current is None else RenderStatus(current.status)
        db.session.rollback()
        if status != RenderStatus.COMPLETED:  # never delete a video another join completed
            storage.delete(output_key(job.user_id, job.id))
        execution.finish_canceled(job_id, attempt_rq)
        chunking.delete_chunk_objects(job)
        return "canceled"
    except Exception:
        log.exception("render_join_error", extra={"render_job_id": render_job_id})
        db.session.rollback()
        raise
    finally:
        watcher.stop()


def on_join_task_failure(rq_job, connection, exc_type, exc_value, traceback) -> None:
    render_job_id, attempt = rq_job.args[:2]
    if not has_app_context():
        log.warning("render_join_failure_not_recorded", extra={"rq_job_id": rq_job.id})
        return
    code, message = user_facing_error(exc_type, exc_value)
    final = is_final_attempt(rq_job)
    log.error("render_join_failed", extra={"render_job_id": render_job_id, "rq_job_id": rq_job.id,
                                           "error_code": code, "final": final})
    try:
        if final:
            fail_chunked_render(uuid.UUID(render_job_id), attempt, code, message, current=rq_job.id)
    finally:
        db.session.remove()
