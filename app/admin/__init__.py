"""The operations console at ``/admin`` (Flask-Admin, Bootstrap 4, every asset served from here).

``init_app`` wires: the session cookie settings and the login/logout pages (``routes``), the
``/admin`` security headers (``security``), and one ``Admin`` per app with the home page and the
model views. Access rules: ``access.AdminAccessMixin``; base classes: ``base.AdminView`` and
``base.AdminModelView``; the audit trail: ``audit.record``.
"""

from __future__ import annotations

from flask import Flask, g
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from app.admin import security
from app.admin import session as admin_session
from app.admin.audit_log import AuditView
from app.admin.home import AdminHomeView
from app.admin.orders import OrdersView
from app.admin.payments import PaymentsView
from app.admin.renders import RenderJobsView
from app.admin.routes import bp
from app.admin.users import UsersView


def forget_request_state() -> None:
    """Each request finds its own admin and CSP nonce (an app context may outlive a request)."""
    g.pop("admin_user", None)
    g.pop("csp_nonce", None)


THEME = Bootstrap4Theme(base_template="admin/console_base.html", swatch="default", fluid=True)


def init_app(app: Flask) -> None:
    admin_session.configure(app)
    # Before Flask-Admin's blueprints: our template overrides (templates/admin/...) win.
    app.register_blueprint(bp)
    app.before_request(forget_request_state)
    app.after_request(security.apply_headers)
    console = Admin(app, name="Waveframe console", url="/admin", theme=THEME,
                    index_view=AdminHomeView(name="Home", url="/admin"),
                    csp_nonce_generator=security.nonce)
    for view in (UsersView(), PaymentsView(), RenderJobsView(), AuditView(), OrdersView()):
        console.add_view(view)
    app.extensions["waveframe_admin"] = console
