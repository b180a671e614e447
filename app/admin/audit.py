"""Write the audit trail: every admin login, failed login, logout and action.

    before = audit.snapshot(user, "is_active")
    set_active(user, False)                         # the service commits the change
    audit.record("user.disable", "user", user.id, reason=reason,
                 before=before, after=audit.snapshot(user, "is_active"))

``record`` takes the actor (id, email, role) from the admin session and the IP from the request
(``ProxyFix`` already applied), keeps only the fields that changed between ``before`` and
``after``, and commits the row on its own. Rows are append-only (``app/models/audit_event.py``).
"""

from __future__ import annotations

import enum
import logging
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context, request

from app.admin import session as admin_session
from app.extensions import db
from app.models import AuditEvent, User

log = logging.getLogger(__name__)


def _json_safe(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    return value


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    """The named attributes of a row, JSON-ready (for ``before`` / ``after``)."""
    return {name: _json_safe(getattr(obj, name)) for name in fields}


def _changed(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    if before is None or after is None:
        return (_json_safe(before) if before is not None else None,
                _json_safe(after) if after is not None else None)
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return ({k: _json_safe(before.get(k)) for k in keys}, {k: _json_safe(after.get(k)) for k in keys})


def record(action: str, target_type: str | None, target_id: Any, *, reason: str | None = None,
           before: dict | None = None, after: dict | None = None,
           actor: User | None = None, actor_email: str | None = None) -> AuditEvent:
    """Append one audit row and commit it.

    ``actor`` defaults to the logged-in administrator; ``actor_email`` names who tried when
    nobody is logged in (a failed login).
    """
    actor = actor if actor is not None else admin_session.session_user()
    before, after = _changed(before, after)
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_email=(actor.email if actor else (actor_email or None)),
        actor_role=actor.admin_role if actor else None,
        action=action, target_type=target_type,
        target_id=None if target_id is None else str(target_id)[:128],
        reason=(reason or "").strip() or None, before=before, after=after,
        ip=(request.remote_addr if has_request_context() else None))
    if event.actor_email:
        event.actor_email = event.actor_email[:320]
    db.session.add(event)
    db.session.commit()
    log.info("admin_audit", extra={"action": action, "target_type": target_type,
                                   "target_id": event.target_id,
                                   "actor_id": str(event.actor_id) if event.actor_id else None})
    return event
