"""The status poll's fast path: ``GET /api/v1/renders/{id}`` without the ORM or marshmallow.

Clients poll this while a render runs, so it is the hottest route. ``status_body`` answers from
the copy in Redis while the job is unchanged (``status_cache``); otherwise ``read_job_status`` sends one
Core SELECT of just the columns the answer shows, with the ownership check in its WHERE (another
user's job and no job are the same 404), and ``job_document`` builds the same JSON document
``RenderJobSchema`` dumps (tests/integration/renders/test_poll_fast_path.py compares the two for a
job in every status, every optional part present and absent). A field added to the schema must
be added here too; that test fails until it is.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import jsonify

from app.errors import NotFound
from app.extensions import db
from app.models import RenderJob, RenderOutput, RenderStatus
from app.rendering.catalog import aspect_of
from app.renders import status_cache

DATETIMES = ("created_at", "updated_at", "queued_at", "paid_at", "started_at",
             "progress_updated_at", "completed_at", "failed_at", "canceled_at", "expired_at",
             "video_expires_at")
_t = RenderJob.__table__.c
COLUMNS = (_t.id, _t.status, _t.progress, _t.eta_seconds, _t.attempts, _t.priority,
           _t.cancel_requested, _t.error_code, _t.error_message, _t.config, _t.audio_filename,
           _t.audio_duration, _t.audio_format, _t.audio_size, _t.price_amount, _t.price_currency,
           _t.output_key, _t.output_size, _t.output_duration, _t.output_checksum,
           *(getattr(_t, name) for name in DATETIMES))
_QUERY = sa.select(*COLUMNS).where(_t.id == sa.bindparam("job_id"),
                                   _t.user_id == sa.bindparam("user_id"))
_o = RenderOutput.__table__.c
_OUTPUTS = (sa.select(_o.size, _o.size_bytes, _o.duration)
            .where(_o.render_job_id == sa.bindparam("job_id")).order_by(_o.position))


def status_body(user_id: uuid.UUID, job_id: uuid.UUID) -> bytes:
    """The poll's JSON answer: the copy in Redis while the job is unchanged
    (app/renders/status_cache.py), else read, built and kept."""
    body, generation = status_cache.lookup(user_id, job_id)
    if body is None:
        body = jsonify(job_document(*read_job_status(user_id, job_id))).get_data()
        status_cache.store(user_id, job_id, generation, body)
    return body


def read_job_status(user_id: uuid.UUID, job_id: uuid.UUID) -> tuple[sa.Row, list]:
    """The columns of the user's job the poll shows, and its videos once it is completed (a
    second SELECT only then: polls while it renders stay one statement); another user's (or no)
    job is 404."""
    # A connection of its own, not the session's: nothing here needs the ORM's bookkeeping.
    with db.engine.connect() as conn:
        row = conn.execute(_QUERY, {"job_id": job_id, "user_id": user_id}).first()
        if row is None:
            raise NotFound("No such render job.", code="render_not_found")
        outputs = (conn.execute(_OUTPUTS, {"job_id": job_id}).all()
                   if row.output_key and _status(row) == RenderStatus.COMPLETED.value else [])
    return row, outputs


def _status(row: Any) -> str:
    return str(getattr(row.status, "value", row.status))


def _outputs(row: Any, outputs: list | None) -> list[dict]:
    """``RenderJobSchema._outputs``: every video of a completed job (one per format)."""
    if not row.output_key or _status(row) != RenderStatus.COMPLETED.value:
        return []
    if outputs is None:  # an ORM job
        outputs = [(o.size, o.size_bytes, o.duration) for o in row.outputs]
    config = row.config or {}
    rows = list(outputs) or [((config.get("formats") or [config.get("size", "1920x1080")])[0],
                              row.output_size, row.output_duration)]  # completed before render_outputs
    return [{"size": size, "aspect": aspect_of(size), "bytes": size_bytes, "duration": duration,
             "download": f"/api/v1/renders/{row.id}/download?size={size}"}
            for size, size_bytes, duration in rows]


def _int(value):
    return None if value is None else int(value)


def _iso(value):
    return None if value is None else value.isoformat()


def job_document(row: Any, outputs: list | None = None) -> dict[str, Any]:
    """``RenderJobSchema().dump(job)`` for a row of ``COLUMNS`` and its outputs (or a ``RenderJob``)."""
    status = row.status
    document = {
        "id": None if row.id is None else str(row.id),
        "status": str(getattr(status, "value", status)),
        "progress": _int(row.progress),
        "eta_seconds": _int(row.eta_seconds),
        "attempts": _int(row.attempts),
        "priority": None if row.priority is None else str(row.priority),
        "cancel_requested": None if row.cancel_requested is None else bool(row.cancel_requested),
        "error": ({"code": row.error_code, "message": row.error_message}
                  if row.error_code else None),
        "config": None if row.config is None else dict(row.config),
        "audio": {"filename": row.audio_filename, "duration": row.audio_duration,
                  "format": row.audio_format, "size": row.audio_size},
        "price": (None if row.price_amount is None
                  else {"amount": row.price_amount, "currency": row.price_currency}),
        "output": ({"size": row.output_size, "duration": row.output_duration,
                    "checksum": row.output_checksum} if row.output_key else None),
        "outputs": _outputs(row, outputs),
    }
    for name in DATETIMES:
        document[name] = _iso(getattr(row, name))
    return document
