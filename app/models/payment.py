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


# The derived state of a paid payment part of which was refunded (its status stays ``paid``: the
# render it paid for goes on; ``refunded`` is reached when the whole amount went back).
PARTIALLY_REFUNDED = "partially_refunded"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


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
    # What Stripe has refunded so far (smallest currency unit): the succeeded refunds' sum.
    refunded_amount: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                                 server_default="0")

    render_job = relationship("RenderJob", back_populates="payments")
    refunds = relationship("PaymentRefund", back_populates="payment", lazy="select",
                           order_by="PaymentRefund.created_at")

    @property
    def refundable_amount(self) -> int:
        """What may still be refunded (succeeded refunds deducted; pending ones are not)."""
        if self.status != PaymentStatus.PAID:
            return 0
        return max(self.amount - (self.refunded_amount or 0), 0)

    @property
    def refund_state(self) -> str:
        """The payment as an operator reads it: its status, or ``partially_refunded`` for a paid
        payment part of which went back (``refunded`` once all of it did)."""
        if self.status == PaymentStatus.PAID and (self.refunded_amount or 0) > 0:
            return PARTIALLY_REFUNDED
        return str(self.status)

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.status}>"


class PaymentRefund(UUIDPrimaryKey, Timestamps, Model):
    """One refund of (part of) a payment: who asked, why, and what Stripe answered."""

    __tablename__ = "payment_refunds"

    payment_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("payments.id", ondelete="CASCADE"), nullable=False, index=True)
    amount: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    stripe_refund_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    status: Mapped[str] = mapped_column(
        sa.Enum(RefundStatus, name="refund_status", native_enum=False, create_constraint=True,
                values_callable=lambda e: [m.value for m in e], length=16),
        nullable=False, default=RefundStatus.PENDING)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid, sa.ForeignKey("users.id", ondelete="SET NULL"))

    payment = relationship("Payment", back_populates="refunds")

    def __repr__(self) -> str:
        return f"<PaymentRefund {self.id} {self.amount} {self.status}>"


class StripeEvent(Model):
    """Each Stripe event id is processed once (the primary key is the idempotency guard)."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
