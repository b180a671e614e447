"""Render jobs as their owner sees them: create from an upload, read, list, cancel, retry.

``create_render`` checks everything (size, real type, duration, images, config) in a private
temp folder before it stores a single object or writes the row, and on any failure removes what
it stored, so a refused upload leaves no row, no object and no queue entry.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload
from werkzeug.datastructures import FileStorage

from app.adapters import get_storage
from app.adapters.storage import StorageError
from app.delivery import job_storage
from app.errors import Conflict, InvalidField, NotFound, UpstreamError
from app.extensions import db
from app.models import RenderJob, RenderStatus, User, utcnow
from app.rendering import catalog
from app.renders import chunking, render_cache
from app.renders.chunk_tasks import stop_rq_jobs
from app.renders.errors import engine_input_errors
from app.renders.pricing import quote_order
from app.renders.queueing import MAX_ATTEMPTS, queue_render, render_seconds, unqueue_render
from app.renders.rows import lock_render_job
from app.renders.uploads import (
    AUDIO_CONTENT_TYPES,
    IMAGE_PARTS,
    ImageUpload,
    validate_audio,
    validate_captions,
    validate_image,
)
from app.renders.workspace import scratch_dir

log = logging.getLogger(__name__)


def render_config(raw: Mapping, audio_duration: float, images: Mapping[str, ImageUpload]) -> dict:
    """Validate the client's config against its template, wiring uploaded images to options."""
    if not isinstance(raw, Mapping):
        raise InvalidField("The render configuration must be a JSON object.",
                           fields={"config": ["Must be a JSON object."]})
    raw = dict(raw)
    template = raw.get("template")
    if images and template in catalog.template_ids() and isinstance(raw.get("options", {}), Mapping):
        options = dict(raw.get("options") or {})
        accepted = catalog.options_schema(template)["properties"]
        for name in images:
            option = IMAGE_PARTS[name]
            if option in accepted and option not in options:
                options[option] = name
        raw["options"] = options
    with engine_input_errors():
        config = catalog.normalize_config(raw, audio_duration=audio_duration,
                                          available_assets=set(images))
    unused = set(images) - set(catalog.asset_names(config).values())
    if unused:
        raise InvalidField("An uploaded image is not used by this template.",
                           fields={name: [f"The {template} template does not use this image."]
                                   for name in sorted(unused)})
    return config


def with_caption_file(config: Mapping, cues: list[dict]) -> dict:
    """The config with the cues of an uploaded caption file (its style options kept)."""
    if not isinstance(config, Mapping):
        return config
    style = config.get("captions")
    if isinstance(style, Mapping) and style.get("cues"):
        raise InvalidField("Send captions either as a file or as config.captions.cues, not both.",
                           code="invalid_captions",
                           fields={"captions": ["config.captions.cues is given too."]})
    return {**config, "captions": {**(style if isinstance(style, Mapping) else {}), "cues": cues}}


def parse_captions(captions: FileStorage, audio_duration: float | None = None) -> list[dict]:
    """The cues of an SRT or WebVTT file, read by the parser the renders use (the web app shows
    them in its preview before anything is uploaded); 422 naming the line, 413 too big."""
    with scratch_dir("uploads") as workdir:
        return validate_captions(captions, workdir, audio_duration)


def create_render(user: User, *, audio: FileStorage, config: Mapping,
                  images: Mapping[str, FileStorage | None] | None = None,
                  captions: FileStorage | None = None) -> RenderJob:
    """Validate an upload and create its job: ``awaiting_payment`` with payments on, else queued.

    ``captions`` is an optional SRT or WebVTT file; its cues go into ``config.captions``.
    An identical request (``render_cache``) gets the user's existing job back, marked ``reused``:
    nothing is stored, queued or charged again.

    With payments off the new row and its first attempt are committed together (``queue_render``).
    """
    parts = {name: part for name, part in (images or {}).items() if part is not None}
    unknown = set(parts) - set(IMAGE_PARTS)
    if unknown:
        raise InvalidField(fields={name: ["Unknown image part."] for name in sorted(unknown)})
    try:
        job = _create(user, audio, config, parts, captions)
    except StorageError as exc:  # storage down: nothing kept (see _create); the user tries again
        log.error("upload_store_failed", extra={"user_id": str(user.id),
                                                "error_type": type(exc).__name__})
        raise UpstreamError("The upload could not be stored; try again shortly.") from exc
    if job.reused:
        return job
    log.info("render_created", extra={"render_job_id": str(job.id), "user_id": str(user.id),
                                      "status": str(job.status), "duration": job.audio_duration,
                                      "template": job.config["template"]})
    return job


def _create(user: User, audio: FileStorage, config: Mapping,
            parts: Mapping[str, FileStorage], captions: FileStorage | None) -> RenderJob:
    job_id = uuid.uuid4()
    storage = get_storage()
    stored: list[str] = []
    with scratch_dir("uploads") as workdir:
        upload = validate_audio(audio, workdir)
        assets = {name: validate_image(part, name, workdir) for name, part in parts.items()}
        if captions is not None:
            config = with_caption_file(config, validate_captions(captions, workdir, upload.info.duration))
        normalized = render_config(config, upload.info.duration, assets)
        identity = render_cache.render_key(upload.path, normalized, {n: a.path for n, a in assets.items()})
        existing = render_cache.reusable_job(user.id, identity)
        if existing is not None:
            existing.reused = True
            log.info("render_reused", extra={"render_job_id": str(existing.id), "user_id": str(user.id),
                                             "status": str(existing.status)})
            return existing
        price = quote_order(catalog.formats_of(normalized), render_seconds(normalized, upload.info.duration))
        try:
            audio_key = job_storage.audio_key(user.id, job_id, upload.extension)
            storage.put_file(audio_key, upload.path, content_type=AUDIO_CONTENT_TYPES.get(
                upload.extension, "application/octet-stream"))
            stored.append(audio_key)
            for name, asset in assets.items():
                key = job_storage.image_key(user.id, job_id, name)
                storage.put_file(key, asset.path, content_type="image/png")
                stored.append(key)
            job = RenderJob(
                id=job_id, user_id=user.id, status=RenderStatus.AWAITING_PAYMENT,
                config=normalized, audio_key=audio_key, audio_filename=upload.filename,
                audio_format=upload.info.container, audio_duration=upload.info.duration,
                audio_size=upload.size,
                background_key=(job_storage.image_key(user.id, job_id, "background")
                                if "background" in assets else None),
                render_key=identity,
                price_amount=price.amount, price_currency=price.currency)
            db.session.add(job)
            if current_app.config["PAYMENTS_ENABLED"]:
                db.session.commit()
            else:
                queue_render(job)
        except BaseException:
            if not _row_committed(job_id):
                for key in stored:
                    try:
                        storage.delete(key)
                    except Exception:  # the original error matters more; log and go on
                        log.exception("upload_cleanup_failed", extra={"key": key})
            raise
    return job


def _row_committed(job_id: uuid.UUID) -> bool:
    """After a failure: whether the job's row was committed before it (its objects then stay)."""
    db.session.rollback()
    try:
        return db.session.scalar(select(func.count()).where(RenderJob.id == job_id)) > 0
    except Exception:  # the database is away: as when the commit itself fails, clean up
        db.session.rollback()
        return False


def get_render(user: User, job_id: uuid.UUID) -> RenderJob:
    """The user's job; another user's (or no) job is 404, never 403.

    The owner is the caller, already in the session: no join to ``users`` (``job.user`` is then
    found in the identity map without SQL).
    """
    job = db.session.get(RenderJob, job_id, options=[lazyload(RenderJob.user)])
    if job is None or job.user_id != user.id:
        raise NotFound("No such render job.", code="render_not_found")
    return job


def list_renders(user: User, *, page: int, per_page: int,
                 statuses: list[str] | None = None) -> tuple[list[RenderJob], int]:
    query = select(RenderJob).where(RenderJob.user_id == user.id)
    if statuses:
        query = query.where(RenderJob.status.in_([RenderStatus(s) for s in statuses]))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(RenderJob.created_at.desc(), RenderJob.id)
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return list(items), int(total or 0)


def cancel_render(job: RenderJob, *, reason: str = "user") -> RenderJob:
    """Cancel a job that has not finished.

    ``awaiting_payment`` and ``queued`` jobs are canceled at once (a queued one is taken off
    its queue); a ``rendering`` job is marked canceled and its worker, which polls the row,
    stops the render within a few seconds and cleans up. A chunked render's queued chunks (and
    join) come off the queue, its running chunks stop the same way, and its stored features and
    segments are deleted. Other states raise 409.
    """
    db.session.flush()
    lock_render_job(job.id)
    status = RenderStatus(job.status)
    if status not in (RenderStatus.AWAITING_PAYMENT, RenderStatus.QUEUED, RenderStatus.RENDERING):
        db.session.rollback()
        raise Conflict(f"A {status.value} render cannot be canceled.", code="invalid_render_state",
                       details={"status": status.value})
    job.transition(RenderStatus.CANCELED, utcnow())
    job.cancel_requested = status == RenderStatus.RENDERING
    job.eta_seconds = None
    chunked = status != RenderStatus.AWAITING_PAYMENT and chunking.has_chunks(job)
    pending = chunking.pending_rq_job_ids(job.id, job.attempts) if chunked else []
    db.session.commit()
    if status == RenderStatus.QUEUED:
        unqueue_render(job.rq_job_id)
    if chunked:  # queued chunks come off the queue; running ones stop within a second
        stop_rq_jobs(pending)
        chunking.delete_chunk_objects(job)
    log.info("render_canceled", extra={"render_job_id": str(job.id), "from_status": status.value,
                                       "reason": reason})
    return job


def retry_render(job: RenderJob, *, admin: bool = False) -> RenderJob:
    """Start a new attempt of a failed job (admins: on the high queue, past the attempt cap)."""
    if RenderStatus(job.status) != RenderStatus.FAILED:
        raise Conflict(f"A {job.status} render cannot be retried; only failed ones can.",
                       code="invalid_render_state", details={"status": str(job.status)})
    if not admin and job.attempts >= MAX_ATTEMPTS:
        raise Conflict(f"This render has already been tried {job.attempts} times.",
                       code="retry_limit_reached", details={"attempts": job.attempts})
    queue_render(job, admin=admin)
    log.info("render_retried", extra={"render_job_id": str(job.id), "attempt": job.attempts,
                                      "admin": admin})
    return job
