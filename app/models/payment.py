from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, Timestamps, UTCDateTime, UUIDPrimaryKey


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class Payment(UUIDPrimaryKey, Timestamps, Model):
    __tablename__ = "payments"
    __table_args__ = (sa.Index("ix_payments_user_id_created_at", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    render_job_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("render_jobs.id", ondelete="CASCADE"), nullable=False, index=True)
    checkout_session_id: Mapped[str] = mapped_column(sa.String(255), nullable=False, unique=True)
    checkout_url: Mapped[str | None] = mapped_column(sa.Text)
    checkout_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    amount: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    status: Mapped[str] = mapped_column(
        sa.Enum(PaymentStatus, name="payment_status", native_enum=False, create_constraint=True,
                values_callable=lambda e: [m.value for m in e], length=16),
        nullable=False, default=PaymentStatus.PENDING)
    refund_id: Mapped[str | None] = mapped_column(sa.String(255))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    render_job = relationship("RenderJob", back_populates="payments")

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.status}>"


class StripeEvent(Model):
    """Each Stripe event id is processed once (the primary key is the idempotency guard)."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
