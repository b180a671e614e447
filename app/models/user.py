from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.models.base import Model, Timestamps, UTCDateTime, UUIDPrimaryKey


class User(UUIDPrimaryKey, Timestamps, Model):
    __tablename__ = "users"

    # Stored normalised and lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(320), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # Tokens issued before this instant are refused (password change, "log out everywhere").
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @validates("email")
    def _lower_email(self, _key, value: str) -> str:
        return value.strip().lower()

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class PasswordResetToken(UUIDPrimaryKey, Model):
    """A single-use reset token; only its SHA-256 is stored."""

    __tablename__ = "password_reset_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
