"""The console's home page (``/admin/``): the dashboard (``dashboard_data.build_dashboard``) and
the one-click requeue of a failed job (operator; a POST with its CSRF token; audited)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from markupsafe import Markup

from app.admin import audit
from app.admin.access import AdminAccessMixin, current_admin, forbidden
from app.admin.availability import Unavailable
from app.admin.charts import bar_chart, daily_ticks, line_chart
from app.admin.dashboard_data import build_dashboard
from app.admin.forms import ConfirmForm, csrf_failed
from app.errors import ApiError
from app.renders.failed_jobs import requeue_failed


def _charts(dash) -> dict[str, Markup]:
    """The SVG charts, inline (no script; ``charts`` escapes every text it writes)."""
    charts = {}
    if not isinstance(dash.hourly, Unavailable):
        charts["hourly"] = Markup(line_chart(  # noqa: S704  (escaped SVG)
            {"renders": dash.hourly.renders, "failures": dash.hourly.failures},
            title="Renders and failures per hour, last 7 days", x_label="Day (UTC)",
            y_label="Jobs", x_ticks=daily_ticks(dash.hourly.start, len(dash.hourly.renders))))
    if not isinstance(dash.queue_depths, Unavailable):
        charts["queues"] = Markup(bar_chart(  # noqa: S704  (escaped SVG)
            list(dash.queue_depths.values()), labels=list(dash.queue_depths),
            title="Queue depth", x_label="Queue", y_label="Jobs waiting", width=360, height=200))
    return charts


class AdminHomeView(AdminAccessMixin, AdminIndexView):
    @expose("/")
    def index(self):
        dash = build_dashboard()
        return self.render("admin/home.html", dash=dash, charts=_charts(dash),
                           requeue_form=ConfirmForm())

    @expose("/failed/<path:rq_job_id>/requeue", methods=("POST",))
    def requeue(self, rq_job_id):
        """Requeue one entry of the failed registry (a POST: operators only, see access)."""
        form = ConfirmForm(request.form)
        if not form.validate() and csrf_failed(form):
            page, _status = forbidden("The form expired or did not come from this console; "
                                      "reload the page and try again.")
            return page, 400
        try:
            result = requeue_failed(rq_job_id, actor_id=current_admin().id)
        except ApiError as exc:
            flash(f"Refused — {rq_job_id}: {exc.message}", "error")
            return redirect(url_for(".index"))
        changes = result.changes
        audit.record("render.requeue_failed" if result.render_job_id else "task.requeue_failed",
                     "render_job" if result.render_job_id else "rq_job",
                     result.render_job_id or rq_job_id,
                     before={"failed_job": rq_job_id, **{k: v["before"] for k, v in changes.items()}},
                     after={"failed_job": None, "new_job": result.new_job_id,
                            **{k: v["after"] for k, v in changes.items()}})
        flash(f"Requeued {rq_job_id} as {result.new_job_id} on {result.queue}.", "success")
        return redirect(url_for(".index"))
