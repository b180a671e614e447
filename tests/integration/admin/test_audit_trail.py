"""The audit trail is append-only: the database, the model and the console all refuse changes."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.admin import audit
from app.extensions import db
from app.models import AuditEvent
from app.models.audit_event import AuditRowImmutable
from tests.integration.admin.console import page_token


@pytest.fixture
def event(app_ctx, operator):
    return audit.record("user.disable", "user", "some-id", reason="spam", actor=operator,
                        before={"is_active": True, "email": "a@example.com"},
                        after={"is_active": False, "email": "a@example.com"})


def test_record_keeps_only_the_changed_fields(event, operator):
    row = db.session.get(AuditEvent, event.id)
    assert (row.before, row.after) == ({"is_active": True}, {"is_active": False})
    assert (row.actor_email, row.actor_role, row.reason) == (operator.email, "operator", "spam")
    assert row.ip is None and row.created_at is not None  # no request: no IP


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET reason = 'nothing happened'",
    "DELETE FROM audit_events",
])
def test_postgres_refuses_update_and_delete(event, statement):
    assert db.engine.dialect.name == "postgresql"
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    db.session.expire_all()
    assert db.session.get(AuditEvent, event.id).reason == "spam"


def test_the_model_refuses_update_and_delete(event):
    row = db.session.get(AuditEvent, event.id)
    row.reason = "rewritten"
    with pytest.raises(AuditRowImmutable):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditRowImmutable):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).reason == "spam"


def test_the_audit_view_is_read_only_and_filterable(operator_client, event):
    listing = operator_client.get("/admin/audit/?search=user.disable")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200 and "user.disable" in html and "spam" in html
    assert "/admin/audit/edit/" not in html and "/admin/audit/delete/" not in html
    token = page_token(operator_client, "/admin/audit/")
    for url in (f"/admin/audit/edit/?id={event.id}", f"/admin/audit/delete/?id={event.id}",
                "/admin/audit/new/"):
        answer = operator_client.post(url, data={"csrf_token": token, "id": str(event.id),
                                                 "reason": "rewritten"})
        assert answer.status_code == 403, url
    db.session.expire_all()
    assert db.session.get(AuditEvent, event.id).reason == "spam"
    assert db.session.query(AuditEvent).filter_by(action="user.disable").count() == 1
