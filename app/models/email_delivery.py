from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model, Timestamps, UTCDateTime, UUIDPrimaryKey


class EmailDelivery(UUIDPrimaryKey, Timestamps, Model):
    """One row per email we mean to send; (render_job_id, kind, resend) makes job emails
    idempotent: the first is resend 0, each resend an operator asks for the next number."""

    __tablename__ = "email_deliveries"
    __table_args__ = (sa.UniqueConstraint("render_job_id", "kind", "resend",
                                          name="uq_email_deliveries_render_job_id_kind_resend"),)

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
    resend: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")
    # The provider's HTTP status on the last attempt (202 accepted, 429, 500, ...; None when the
    # provider has no HTTP answer -- the outbox -- or none came, as on a timeout).
    provider_status: Mapped[int | None] = mapped_column(sa.Integer)
