from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.models.base import Model, Timestamps, UTCDateTime, UUIDPrimaryKey


class AdminRole(enum.StrEnum):
    """What an administrator may do in the console: look (viewer) or also act (operator)."""

    VIEWER = "viewer"
    OPERATOR = "operator"


class User(UUIDPrimaryKey, Timestamps, Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("admin_role IS NULL OR admin_role IN ('viewer', 'operator')",
                           name="admin_role_known"),
    )

    # Stored normalised and lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(320), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    # NULL for a customer; an administrator has a role (``is_admin`` is derived from it).
    admin_role: Mapped[str | None] = mapped_column(sa.String(16))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # Tokens issued before this instant are refused (password change, "log out everywhere").
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @hybrid_property
    def is_admin(self) -> bool:
        return self.admin_role is not None

    @is_admin.inplace.setter
    def _is_admin_setter(self, value: bool) -> None:
        """``is_admin = True`` keeps a role already held, else grants operator; False removes it."""
        if not value:
            self.admin_role = None
        elif self.admin_role is None:
            self.admin_role = AdminRole.OPERATOR.value

    @is_admin.inplace.expression
    @classmethod
    def _is_admin_expression(cls):
        return cls.admin_role.is_not(None)

    @property
    def is_operator(self) -> bool:
        return self.admin_role == AdminRole.OPERATOR

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
