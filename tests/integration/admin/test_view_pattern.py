"""The pattern a later console view follows: an action page with a reason, ``@operator_only``,
``audit.record`` -- shown on a view written here, registered on an app of its own."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_admin import expose

from app.admin import audit
from app.admin.access import operator_only
from app.admin.base import AdminView
from app.admin.forms import ReasonForm
from app.models import AuditEvent
from tests.integration.admin.console import csrf_token, log_in, make_admin


class PokeView(AdminView):
    @expose("/")
    def index(self):
        return self.render("admin/order_lookup.html")  # any page of the console

    @expose("/<thing>/poke", methods=("GET", "POST"))
    @operator_only
    def poke(self, thing):
        form = ReasonForm(request.form if request.method == "POST" else None)
        if request.method == "POST" and form.validate():
            audit.record("thing.poke", "thing", thing, reason=form.reason.data,
                         before={"poked": False}, after={"poked": True})
            return redirect(url_for(".index"))
        status = 422 if request.method == "POST" else 200
        return self.render("admin/action_form.html", form=form, title=f"Poke {thing}",
                           description="Pokes it.", submit="Poke", cancel_url=url_for(".index")), status


def test_an_operator_only_page_with_a_reason_is_refused_to_a_viewer_and_audited(make_app, app_ctx):
    app = make_app()
    app.extensions["waveframe_admin"].add_view(PokeView(name="Poke", endpoint="admin_poke",
                                                        url="/admin/poke"))
    make_admin("olga@example.com", "operator")
    make_admin("victor@example.com", "viewer")
    viewer, operator = app.test_client(), app.test_client()
    log_in(viewer, "victor@example.com")
    log_in(operator, "olga@example.com")

    assert viewer.get("/admin/poke/").status_code == 200
    assert viewer.get("/admin/poke/t1/poke").status_code == 403  # the form itself is an action

    page = operator.get("/admin/poke/t1/poke")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Poke t1" in html and "Reason" in html
    token = csrf_token(html)
    missing = operator.post("/admin/poke/t1/poke", data={"csrf_token": token, "reason": ""})
    assert missing.status_code == 422 and "This field is required." in missing.get_data(as_text=True)
    assert operator.post("/admin/poke/t1/poke", data={"reason": "no token"}).status_code == 422
    done = operator.post("/admin/poke/t1/poke", data={"csrf_token": token, "reason": "it was stuck"})
    assert done.status_code == 302
    (event,) = AuditEvent.query.filter_by(action="thing.poke").all()
    assert (event.target_id, event.reason, event.actor_email) == ("t1", "it was stuck", "olga@example.com")
