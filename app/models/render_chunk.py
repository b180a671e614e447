"""One frame range of a chunked render attempt (``app/renders/chunking.py`` holds the rules)."""

from __future__ import annotations

import enum
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model, Timestamps, UUIDPrimaryKey


class ChunkStatus(enum.StrEnum):
    PENDING = "pending"  # waiting on the queue (or for RQ's retry)
    RENDERING = "rendering"
    DONE = "done"  # its segment is stored at ``segment_key``


class RenderChunk(UUIDPrimaryKey, Timestamps, Model):
    __tablename__ = "render_chunks"
    __table_args__ = (
        sa.UniqueConstraint("render_job_id", "attempt", "position",
                            name="uq_render_chunks_job_attempt_position"),
    )

    render_job_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("render_jobs.id", ondelete="CASCADE"), nullable=False, index=True)
    attempt: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # 0, 1, ... in frame order
    frame_start: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    frame_end: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # exclusive
    status: Mapped[str] = mapped_column(
        sa.Enum(ChunkStatus, name="render_chunk_status", native_enum=False, create_constraint=True,
                values_callable=lambda e: [m.value for m in e], length=16),
        nullable=False, default=ChunkStatus.PENDING)
    # the RQ job that owns the chunk now; a re-enqueue by the reconciler makes a new one
    rq_job_id: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    enqueues: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    frames_done: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    segment_key: Mapped[str | None] = mapped_column(sa.String(512))
    encoder: Mapped[str | None] = mapped_column(sa.String(16))
    wall_seconds: Mapped[float | None] = mapped_column(sa.Float)

    @property
    def frames(self) -> int:
        return self.frame_end - self.frame_start
