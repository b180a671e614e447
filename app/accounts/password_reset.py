"""Password reset by email: a random single-use token, stored only as its SHA-256.

A request answers the same whatever the email; for an active account it invalidates any
earlier outstanding token, stores the new one's hash (valid one hour) and emails a link
``FRONTEND_URL/reset-password?token=<token>``. Confirming sets the new password (same policy)
and revokes every token issued before. Tampered or superseded, used and expired tokens each
fail with their own error.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import delete, select

from app.accounts.passwords import hash_password
from app.accounts.service import check_password_policy, find_user_by_email, normalize_email
from app.accounts.tokens import revoke_all_before_now
from app.errors import ApiError, ServiceUnavailable
from app.extensions import db
from app.mail.queueing import queue_email
from app.models import PasswordResetToken, User, utcnow

log = logging.getLogger(__name__)

TOKEN_LIFETIME = timedelta(hours=1)
TOKEN_BYTES = 32


class ResetTokenError(ApiError):
    status = 400


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_link(token: str) -> str:
    return f"{current_app.config['FRONTEND_URL']}/reset-password?{urlencode({'token': token})}"


def request_password_reset(email: str) -> None:
    """Email a reset link when ``email`` is an active account; silently nothing otherwise."""
    try:
        user = find_user_by_email(normalize_email(email))
    except ApiError:
        user = None
    if user is None or not user.is_active:
        log.info("password_reset_requested", extra={"account_found": False})
        return
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    # A newer request invalidates the earlier links.
    db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                        PasswordResetToken.used_at.is_(None)))
    record = PasswordResetToken(user_id=user.id, token_hash=_hash(token), created_at=now,
                                expires_at=now + TOKEN_LIFETIME)
    db.session.add(record)
    db.session.commit()
    try:
        queue_email(to=user.email, template="password_reset", kind="password_reset", user_id=user.id,
                    context={"reset_url": reset_link(token),
                             "expires_minutes": int(TOKEN_LIFETIME.total_seconds() // 60)})
    except ServiceUnavailable:
        # The answer stays the same as for an unknown email (no account discovery through a 503);
        # the unusable token goes, and the user can ask again.
        db.session.rollback()
        db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.id == record.id))
        db.session.commit()
        log.error("password_reset_email_not_queued", extra={"user_id": str(user.id)})
        return
    log.info("password_reset_requested", extra={"account_found": True, "user_id": str(user.id)})


def confirm_password_reset(token: str, new_password: str) -> None:
    record = db.session.scalar(select(PasswordResetToken)
                               .where(PasswordResetToken.token_hash == _hash(token))
                               .with_for_update())
    if record is None:
        raise ResetTokenError("This reset link is not valid (it may have been replaced by a newer "
                              "one). Ask for a new link.", code="reset_token_invalid")
    if record.used_at is not None:
        raise ResetTokenError("This reset link has already been used. Ask for a new link.",
                              code="reset_token_used")
    if record.expires_at <= utcnow():
        raise ResetTokenError("This reset link has expired. Ask for a new link.",
                              code="reset_token_expired")
    user = db.session.get(User, record.user_id)
    if user is None or not user.is_active:
        raise ResetTokenError("This reset link is not valid. Ask for a new link.",
                              code="reset_token_invalid")
    check_password_policy(new_password, email=user.email)
    user.password_hash = hash_password(new_password)
    revoke_all_before_now(user)
    record.used_at = utcnow()
    db.session.commit()
    log.info("password_reset_completed", extra={"user_id": str(user.id)})
