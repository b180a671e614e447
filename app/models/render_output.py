"""One stored video of a render job: an order of several formats has one row per format.

``render_jobs.output_*`` keep describing the first format (the single-format path, retention,
downloads and the admin pages read them); this table lists every format, the first included.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model, UTCDateTime, UUIDPrimaryKey, utcnow


class RenderOutput(UUIDPrimaryKey, Model):
    __tablename__ = "render_outputs"
    __table_args__ = (sa.UniqueConstraint("render_job_id", "size", name="uq_render_outputs_job_size"),)

    render_job_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("render_jobs.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # order of the formats
    size: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # "1080x1920"
    output_key: Mapped[str] = mapped_column(sa.String(512), nullable=False)
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    duration: Mapped[float] = mapped_column(sa.Float, nullable=False)
    checksum: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<RenderOutput {self.render_job_id} {self.size}>"
