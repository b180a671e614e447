"""Who may see and do what in the console: the mixin every admin view inherits.

- anonymous -> redirect to the login page (``?next=`` the page asked for);
- logged in without an admin role -> 403, on every admin URL including the index;
- ``viewer`` -> every page that only reads; 403 on anything that changes something;
- ``operator`` -> everything the view offers.

"Changes something" is decided here, not per view: every request that is not GET/HEAD, the
model views' write endpoints (create, edit, delete, mass actions, inline edits) even on GET, and
any exposed method decorated with ``@operator_only`` (e.g. the GET of a refund form). Endpoints a
view has switched off (``can_create = False``...) answer 403 to everyone.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from app.admin import session as admin_session
from app.admin.forms import LogoutForm
from app.models import AdminRole, User

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Flask-Admin's model-view endpoints that change rows, whatever the method.
WRITE_ENDPOINTS = frozenset({"create_view", "edit_view", "delete_view", "action_view", "ajax_update"})
# Endpoint -> the view flag that switches it on.
ENDPOINT_FLAGS = {"create_view": "can_create", "edit_view": "can_edit", "delete_view": "can_delete",
                  "details_view": "can_view_details", "export": "can_export"}


def operator_only(view_method):
    """Mark an ``@expose``d method as an action: only an operator may call it, even with GET."""
    view_method._operator_only = True
    return view_method


def current_admin() -> User | None:
    """The logged-in administrator (viewer or operator) of this request, or None."""
    user = admin_session.session_user()
    return user if user is not None and user.is_admin else None


def is_operator() -> bool:
    user = current_admin()
    return user is not None and user.admin_role == AdminRole.OPERATOR


def forbidden(message: str):
    return render_template("admin/forbidden.html", message=message,
                           user=admin_session.session_user()), 403


def login_redirect():
    return redirect(url_for("admin_session.login", next=request.full_path.rstrip("?")))


class AdminAccessMixin:
    """Mixed into every console view before Flask-Admin's class: ``class V(AdminAccessMixin, BaseView)``."""

    def is_accessible(self) -> bool:
        return current_admin() is not None

    def is_visible(self) -> bool:
        return current_admin() is not None

    def _handle_view(self, name, **kwargs):
        user = admin_session.session_user()
        if user is None:
            return login_redirect()
        if not user.is_admin:
            return forbidden("This account has no role in the admin console.")
        flag = ENDPOINT_FLAGS.get(name)
        if flag is not None and not getattr(self, flag, False):
            return forbidden("This is not available in the console.")
        if ((name == "ajax_update" and not getattr(self, "column_editable_list", None))
                or (name == "ajax_lookup" and not getattr(self, "form_ajax_refs", None))):
            return forbidden("This is not available in the console.")
        if self.changes_something(name) and user.admin_role != AdminRole.OPERATOR:
            return forbidden("Your role is viewer: you can look at everything, and change nothing. "
                             "An operator can do this.")
        return None

    def changes_something(self, name: str) -> bool:
        method = getattr(self, name, None)
        return (request.method not in READ_METHODS or name in WRITE_ENDPOINTS
                or getattr(method, "_operator_only", False))

    def render(self, template, **kwargs):
        user = admin_session.session_user()
        kwargs.setdefault("admin_user", user)
        kwargs.setdefault("admin_can_act", user is not None and user.admin_role == AdminRole.OPERATOR)
        kwargs.setdefault("logout_form", LogoutForm())
        return super().render(template, **kwargs)

