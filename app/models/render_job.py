from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONType, Model, Timestamps, UTCDateTime, UUIDPrimaryKey


class RenderStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    QUEUED = "queued"
    RENDERING = "rendering"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


TERMINAL_STATUSES = frozenset({RenderStatus.COMPLETED, RenderStatus.FAILED,
                               RenderStatus.CANCELED, RenderStatus.EXPIRED})

# Which status a job may move to from each status (the lifecycle in DESIGN.md).
ALLOWED_TRANSITIONS: dict[RenderStatus, frozenset[RenderStatus]] = {
    RenderStatus.AWAITING_PAYMENT: frozenset({RenderStatus.QUEUED, RenderStatus.CANCELED,
                                              RenderStatus.EXPIRED}),
    RenderStatus.QUEUED: frozenset({RenderStatus.RENDERING, RenderStatus.CANCELED,
                                    RenderStatus.FAILED}),
    RenderStatus.RENDERING: frozenset({RenderStatus.COMPLETED, RenderStatus.FAILED,
                                       RenderStatus.CANCELED, RenderStatus.QUEUED}),
    RenderStatus.COMPLETED: frozenset({RenderStatus.EXPIRED}),
    RenderStatus.FAILED: frozenset({RenderStatus.QUEUED, RenderStatus.EXPIRED}),
    RenderStatus.CANCELED: frozenset({RenderStatus.EXPIRED}),
    RenderStatus.EXPIRED: frozenset(),
}

# The timestamp column each status stamps when entered.
STATUS_TIMESTAMP = {
    RenderStatus.QUEUED: "queued_at",
    RenderStatus.RENDERING: "started_at",
    RenderStatus.COMPLETED: "completed_at",
    RenderStatus.FAILED: "failed_at",
    RenderStatus.CANCELED: "canceled_at",
    RenderStatus.EXPIRED: "expired_at",
}


class InvalidTransition(Exception):
    def __init__(self, current: str, target: str):
        super().__init__(f"render job cannot go from {current} to {target}")
        self.current, self.target = current, target


class RenderJob(UUIDPrimaryKey, Timestamps, Model):
    __tablename__ = "render_jobs"
    __table_args__ = (
        sa.Index("ix_render_jobs_user_id_created_at", "user_id", "created_at"),
        sa.Index("ix_render_jobs_user_id_render_key", "user_id", "render_key"),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(
        sa.Enum(RenderStatus, name="render_status", native_enum=False, create_constraint=True,
                values_callable=lambda e: [m.value for m in e], length=32),
        nullable=False, default=RenderStatus.QUEUED, index=True)
    config: Mapped[dict] = mapped_column(JSONType, nullable=False)

    # Input
    audio_key: Mapped[str] = mapped_column(sa.String(512), nullable=False)
    audio_filename: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    audio_format: Mapped[str | None] = mapped_column(sa.String(64))
    audio_duration: Mapped[float] = mapped_column(sa.Float, nullable=False)
    audio_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    background_key: Mapped[str | None] = mapped_column(sa.String(512))
    # what makes two requests identical: audio and image contents, normalized config, engine
    # version (app/renders/render_cache.py); an identical request of the same user reuses the job
    render_key: Mapped[str | None] = mapped_column(sa.String(64))
    #: set (not stored) when create_render answered with this existing job instead of a new one
    reused = False

    # Output
    output_key: Mapped[str | None] = mapped_column(sa.String(512))
    output_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    output_duration: Mapped[float | None] = mapped_column(sa.Float)
    output_checksum: Mapped[str | None] = mapped_column(sa.String(64))
    video_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    video_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by an operator
    last_link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # newest link's

    # Progress and execution
    progress: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    eta_seconds: Mapped[int | None] = mapped_column(sa.Integer)
    progress_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    priority: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="default")
    rq_job_id: Mapped[str | None] = mapped_column(sa.String(128))
    cancel_requested: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    error_code: Mapped[str | None] = mapped_column(sa.String(64))
    error_message: Mapped[str | None] = mapped_column(sa.Text)

    # Price quoted at creation (smallest currency unit); never recomputed.
    price_amount: Mapped[int | None] = mapped_column(sa.Integer)
    price_currency: Mapped[str | None] = mapped_column(sa.String(3))

    # A timestamp per transition
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # An inner join (user_id is NOT NULL): Postgres refuses FOR UPDATE on the nullable side of
    # the LEFT OUTER JOIN a plain joined load emits, and rows are locked with FOR UPDATE.
    user = relationship("User", lazy="joined", innerjoin=True)
    payments = relationship("Payment", back_populates="render_job", lazy="select",
                            order_by="Payment.created_at")
    # every stored format of the order, the first one too (empty before it completes)
    outputs = relationship("RenderOutput", lazy="select", order_by="RenderOutput.position",
                           cascade="all, delete-orphan", passive_deletes=True)

    @property
    def formats(self) -> list[str]:
        """The sizes this job renders, the first being ``config.size`` (an order of several
        formats carries ``config.formats``; older and single-format configs only ``size``)."""
        config = self.config or {}
        return list(config.get("formats") or [config.get("size", "1920x1080")])

    @property
    def is_terminal(self) -> bool:
        return RenderStatus(self.status) in TERMINAL_STATUSES

    def can_transition(self, target: RenderStatus) -> bool:
        return RenderStatus(target) in ALLOWED_TRANSITIONS[RenderStatus(self.status)]

    def transition(self, target: RenderStatus, at: datetime) -> None:
        """Move to ``target`` (an invariant, not a rule: callers decide *when*)."""
        target = RenderStatus(target)
        if not self.can_transition(target):
            raise InvalidTransition(self.status, target)
        self.status = target
        column = STATUS_TIMESTAMP.get(target)
        if column:
            setattr(self, column, at)

    def __repr__(self) -> str:
        return f"<RenderJob {self.id} {self.status}>"
