"""Users: search by email, filter by active / role / created; the password hash is never shown.

Actions (operators): disable, enable, log out everywhere, set the role. Each goes through the
accounts service and is audited. Nobody disables, logs out or demotes their own account here
(the last operator cannot lock everyone out by mistake); the CLI still can.
"""

from __future__ import annotations

from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual

from app.accounts.service import log_out_everywhere, set_active, set_admin_role
from app.admin import audit
from app.admin.access import current_admin
from app.admin.base import AdminModelView
from app.errors import Conflict
from app.models import AdminRole, User

ROLE_OPTIONS = (("viewer", "viewer"), ("operator", "operator"))
COLUMNS = ("email", "admin_role", "is_active", "created_at", "last_login_at", "tokens_valid_after", "id")


class RoleFilter(FilterEqual):
    """Role is viewer / operator, or "none" for a customer."""

    def apply(self, query, value, alias=None):
        if value == "none":
            return query.filter(User.admin_role.is_(None))
        return super().apply(query, value, alias)


class UsersView(AdminModelView):
    column_list = COLUMNS
    column_details_list = COLUMNS
    column_searchable_list = ("email",)
    column_filters = ("is_active", RoleFilter(User.admin_role, "Role",
                                              options=(*ROLE_OPTIONS, ("none", "none"))), "created_at")
    column_labels = {"admin_role": "Role", "is_active": "Active", "tokens_valid_after": "Logged out before"}
    column_default_sort = ("created_at", True)

    def __init__(self):
        super().__init__(User, name="Users", endpoint="admin_users", url="/admin/users")

    # -- actions -------------------------------------------------------------------------
    def _change(self, ids, action_name: str, fields: tuple[str, ...], apply, *, done: str) -> None:
        me = current_admin()

        def act(user: User) -> None:
            if me is not None and user.id == me.id:
                raise Conflict("You cannot do this to your own account here.")
            before = audit.snapshot(user, *fields)
            apply(user)
            audit.record(action_name, "user", user.id, before=before, after=audit.snapshot(user, *fields))

        self.run_action(ids, act, done=done)

    @action("disable", "Disable", "Disable the selected accounts? They are logged out at once.")
    def action_disable(self, ids):
        self._change(ids, "user.disable", ("is_active", "tokens_valid_after"),
                     lambda user: set_active(user, False), done="Disabled")

    @action("enable", "Enable", "Enable the selected accounts?")
    def action_enable(self, ids):
        self._change(ids, "user.enable", ("is_active",), lambda user: set_active(user, True), done="Enabled")

    @action("log_out_everywhere", "Log out everywhere",
            "Log the selected accounts out of every device (their tokens stop working)?")
    def action_log_out_everywhere(self, ids):
        self._change(ids, "user.log_out_everywhere", ("tokens_valid_after",), log_out_everywhere,
                     done="Logged out everywhere")

    @action("role_operator", "Set role: operator", "Make the selected accounts operators?")
    def action_role_operator(self, ids):
        self._change(ids, "user.set_role", ("admin_role",),
                     lambda user: set_admin_role(user, AdminRole.OPERATOR), done="Role set to operator")

    @action("role_viewer", "Set role: viewer", "Make the selected accounts viewers?")
    def action_role_viewer(self, ids):
        self._change(ids, "user.set_role", ("admin_role",),
                     lambda user: set_admin_role(user, AdminRole.VIEWER), done="Role set to viewer")

    @action("role_none", "Set role: none", "Take the console role away from the selected accounts?")
    def action_role_none(self, ids):
        self._change(ids, "user.set_role", ("admin_role",), lambda user: set_admin_role(user, None),
                     done="Role removed")
