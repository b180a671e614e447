"""The console's home page (``/admin/``). For now a page of links; the dashboard replaces its body.

To replace it: keep the class name and the ``@expose("/")`` method, render another template (or
pass the dashboard's data to ``admin/home.html``).
"""

from __future__ import annotations

from flask_admin import AdminIndexView, expose

from app.admin.access import AdminAccessMixin


class AdminHomeView(AdminAccessMixin, AdminIndexView):
    @expose("/")
    def index(self):
        return self.render("admin/home.html")
