"""Download links to finished videos.

``download_link_for(user, job_id)`` (the API) and ``issue_download_link(job)`` (the "video
ready" email) ask the storage adapter for a link that works ``DOWNLOAD_LINK_TTL`` seconds (at
most seven days, never past the video's retention). Links are secrets: they are never logged.
With local storage a link points at the app's signed file route (``open_local_download``).
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from flask import current_app

from app.adapters import get_storage
from app.adapters.storage import LocalStorage, StorageError, StorageNotFound
from app.adapters.storage.base import MAX_LINK_SECONDS, content_disposition, sanitise_filename
from app.adapters.storage.local import ExpiredDownloadToken, InvalidDownloadToken, read_download_token
from app.errors import Conflict, Forbidden, Gone, NotFound, UpstreamError
from app.extensions import db
from app.models import RenderJob, RenderStatus, User, utcnow

log = logging.getLogger(__name__)

MIN_LINK_SECONDS = 60


def video_title(job: RenderJob) -> str:
    """The title of the video: its config's title, else the audio file's name without extension."""
    title = str((job.config or {}).get("title") or "").strip()
    return title or PurePosixPath(job.audio_filename or "").stem


def download_filename(job: RenderJob, size: str | None = None) -> str:
    """``<title or original file name>.mp4``, sanitised for a Content-Disposition header; a
    format of an order of several adds its size (``<title> 1080x1920.mp4``)."""
    title = video_title(job)
    return sanitise_filename(f"{title} {size}" if size else title, extension=".mp4")


def download_link_ttl(config=None) -> int:
    """Seconds a download link works: ``DOWNLOAD_LINK_TTL``, between a minute and seven days."""
    config = config if config is not None else current_app.config
    return max(MIN_LINK_SECONDS, min(int(config["DOWNLOAD_LINK_TTL"]), MAX_LINK_SECONDS))


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


def output_of(job: RenderJob, size: str | None = None) -> tuple[str, str | None]:
    """(storage key, size named in the file name) of one format of a completed job: ``size``
    None is the first format (the job's own ``output_key``). 404 for a size it does not have."""
    formats = job.formats
    several = len(formats) > 1
    if size is None or size == formats[0]:
        return job.output_key, formats[0] if several else None
    for output in job.outputs:
        if output.size == size:
            return output.output_key, size if several else None
    raise NotFound(f"This render has no {size} video; it has {', '.join(formats)}.",
                   code="format_not_found", details={"formats": formats})


def issue_download_link(job: RenderJob, *, now: datetime | None = None,
                        size: str | None = None) -> DownloadLink:
    """A fresh link to the job's video (``size``: one format of an order; default the first);
    the job must be completed and its video kept.

    Records the link's expiry on the row (``last_link_expires_at``); the caller commits.
    """
    now = now or utcnow()
    if job.video_deleted_at is not None:
        raise Gone("This video was deleted by an administrator.", code="video_deleted",
                   details={"deleted_at": _iso(job.video_deleted_at)})
    if job.status == RenderStatus.EXPIRED or (job.video_expires_at and job.video_expires_at <= now):
        raise Gone("This video has passed its retention period and was deleted.",
                   code="video_expired", details={"expired_at": _iso(job.expired_at
                                                                     or job.video_expires_at)})
    if job.status != RenderStatus.COMPLETED or not job.output_key:
        raise Conflict(f"The render is {job.status}; a download exists once it is completed.",
                       code="render_not_completed", details={"status": str(job.status)})
    ttl = download_link_ttl()
    if job.video_expires_at is not None:  # a link never outlives the video
        ttl = max(1, min(ttl, math.floor((job.video_expires_at - now).total_seconds())))
    expires_at = now.replace(microsecond=0) + timedelta(seconds=ttl)
    key, named_size = output_of(job, size)
    try:
        url = get_storage().download_url(key, expires_in=ttl,
                                         filename=download_filename(job, named_size))
    except StorageNotFound as exc:
        log.error("download_video_missing", extra={"render_job_id": str(job.id)})
        raise Gone("The video file is no longer available.", code="video_missing") from exc
    except StorageError as exc:
        log.error("download_link_failed", extra={"render_job_id": str(job.id),
                                                 "error_type": type(exc).__name__})
        raise UpstreamError("A download link could not be created; try again shortly.") from exc
    log.info("download_link_issued", extra={"render_job_id": str(job.id), "ttl_seconds": ttl})
    job.last_link_expires_at = expires_at  # committed by the caller (the order page shows it)
    return DownloadLink(url=url, expires_at=expires_at)


def download_link_for(user: User, job_id: uuid.UUID, size: str | None = None) -> DownloadLink:
    """The API's ``GET /renders/{id}/download[?size=WxH]``: owner only (another user's job is 404)."""
    job = db.session.get(RenderJob, job_id)
    if job is None or job.user_id != user.id:
        raise NotFound("No render with this id.", code="render_not_found")
    link = issue_download_link(job, size=size)
    db.session.commit()
    return link


@dataclass(frozen=True)
class LocalDownload:
    path: Path
    content_type: str
    content_disposition: str | None  # the header value, when the link names a file


def open_local_download(token: str) -> LocalDownload:
    """The file a local-storage link points at (the signed route of the embedded default)."""
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        raise NotFound("No such download.", code="download_not_found")
    try:
        grant = read_download_token(current_app.config["SECRET_KEY"], token)
    except InvalidDownloadToken as exc:
        raise Forbidden("This download link is not valid.", code="invalid_download_link") from exc
    except ExpiredDownloadToken as exc:
        raise Gone("This download link has expired; ask for a fresh one.",
                   code="download_link_expired") from exc
    try:
        path = storage.path_for(grant.key)
    except StorageError as exc:
        raise Forbidden("This download link is not valid.", code="invalid_download_link") from exc
    if not path.is_file():
        raise Gone("The video file is no longer available.", code="video_missing")
    content_type = storage.metadata(grant.key).get("content_type") or "application/octet-stream"
    return LocalDownload(path=path, content_type=content_type,
                         content_disposition=content_disposition(grant.filename)
                         if grant.filename else None)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None
