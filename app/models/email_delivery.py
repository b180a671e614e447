from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model, Timestamps, UTCDateTime, UUIDPrimaryKey


class EmailDelivery(UUIDPrimaryKey, Timestamps, Model):
    """One row per email we mean to send; (render_job_id, kind) makes job emails idempotent."""

    __tablename__ = "email_deliveries"
    __table_args__ = (sa.UniqueConstraint("render_job_id", "kind",
                                          name="uq_email_deliveries_render_job_id_kind"),)

    user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    render_job_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid, sa.ForeignKey("render_jobs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    recipient: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(255))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
