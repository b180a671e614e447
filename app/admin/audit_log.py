"""The audit trail, read-only: filter by action, actor, target and time. No create, edit or
delete exists (``AdminModelView`` has none, and the rows refuse changes themselves)."""

from __future__ import annotations

from markupsafe import Markup

from app.admin.base import AdminModelView
from app.models import AuditEvent

COLUMNS = ("created_at", "actor_email", "actor_role", "action", "target_type", "target_id", "before",
           "after", "reason", "ip")


def short_target(_view, _context, event, _name) -> Markup | str:
    """A UUID target shortened to 8 characters (whole in the tooltip and on the details page)."""
    value = event.target_id or ""
    if len(value) != 36:
        return value
    return Markup('<code title="{}">{}</code>').format(value, value[:8])


class AuditView(AdminModelView):
    column_list = COLUMNS
    column_details_list = ("id", "actor_id", *COLUMNS)
    column_filters = ("action", "actor_email", "actor_role", "target_type", "target_id", "created_at")
    column_searchable_list = ("actor_email", "target_id", "action")
    column_labels = {"created_at": "Time", "actor_email": "Who", "actor_role": "Role", "ip": "IP",
                     "target_type": "Target", "target_id": "Target id"}
    column_formatters = {"target_id": short_target}
    column_default_sort = ("created_at", True)

    def __init__(self):
        super().__init__(AuditEvent, name="Audit trail", endpoint="admin_audit", url="/admin/audit")
