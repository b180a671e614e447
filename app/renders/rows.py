"""The one way to lock a render job's row.

Every change of a job's state re-reads the row under ``SELECT ... FOR UPDATE OF render_jobs``
(the owner's row, joined for reading, is not locked). Lock order, everywhere: the render job
row, then its payment row.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import RenderJob


def lock_render_job(job_id: uuid.UUID, *, user_id: uuid.UUID | None = None,
                    skip_locked: bool = False) -> RenderJob | None:
    """The row, locked and re-read in place (None: gone, not ``user_id``'s, or skipped)."""
    stmt = (select(RenderJob).where(RenderJob.id == job_id)
            .with_for_update(of=RenderJob, skip_locked=skip_locked)
            .execution_options(populate_existing=True))
    if user_id is not None:
        stmt = stmt.where(RenderJob.user_id == user_id)
    return db.session.scalars(stmt).one_or_none()
