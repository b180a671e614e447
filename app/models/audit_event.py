"""The audit trail of the admin console: one row per login, failed login, logout and action.

Append-only. The mapper refuses to flush an update or a delete of a row it loaded, and on
Postgres a trigger (migration 0002) raises on any ``UPDATE`` or ``DELETE`` of the table, so a
bulk statement or a hand-typed SQL session cannot rewrite history either. The actor is kept as
values (id, email, role), not a foreign key: the row outlives the account it names.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSONType, Model, UTCDateTime, UUIDPrimaryKey, utcnow


class AuditRowImmutable(Exception):
    """An attempt to change or remove an audit row."""


class AuditEvent(UUIDPrimaryKey, Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_target_type_target_id", "target_type", "target_id"),
    )

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow,
                                                 index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    actor_email: Mapped[str | None] = mapped_column(sa.String(320))
    actor_role: Mapped[str | None] = mapped_column(sa.String(16))
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(64))
    target_id: Mapped[str | None] = mapped_column(sa.String(128))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    ip: Mapped[str | None] = mapped_column(sa.String(64))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.target_type}:{self.target_id}>"


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditRowImmutable(f"audit event {target.id} cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditRowImmutable(f"audit event {target.id} cannot be deleted")
