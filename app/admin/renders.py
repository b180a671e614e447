"""Render jobs: filter by status, owner, template and date; timing columns; retry and cancel.

Retry and cancel go through ``app/renders/service.py`` with the rules the API applies (only a
failed job is retried -- an operator, as an admin, past the attempt cap and on the high queue;
only an unfinished job is canceled); a refusal is shown on the page, never a 500.
"""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from markupsafe import Markup

from app.admin import audit
from app.admin.access import current_admin, forbidden
from app.admin.base import AdminModelView, enum_filters
from app.admin.forms import ConfirmForm, csrf_failed
from app.delivery.video_actions import delete_stored_video, resend_video_ready_email
from app.errors import ApiError, Conflict
from app.extensions import db
from app.models import RenderJob, RenderStatus
from app.rendering import catalog
from app.renders.failed_jobs import requeue_failed
from app.renders.service import cancel_render, retry_render

COLUMNS = ("id", "user.email", "status", "template", "last_error", "attempts", "queue_wait",
           "duration", "real_time_factor", "created_at")
DETAILS = (*COLUMNS, "priority", "progress", "rq_job_id", "audio_filename", "audio_duration",
           "output_duration", "output_size", "price_amount", "price_currency", "queued_at", "paid_at",
           "started_at", "completed_at", "failed_at", "canceled_at", "expired_at", "video_expires_at",
           "config")
AUDITED = ("status", "attempts", "priority", "cancel_requested")


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def render_seconds(job: RenderJob) -> float | None:
    """How long the last attempt ran (to completion, failure or cancel)."""
    return _seconds(job.started_at, job.completed_at or job.failed_at or job.canceled_at)


def real_time_factor(job: RenderJob) -> float | None:
    """Render time over the length of the video (below 1: faster than real time)."""
    took = render_seconds(job) if job.completed_at else None
    length = job.output_duration or None
    return took / length if took is not None and length else None


def _duration(_view, _context, job, _name) -> str:
    value = render_seconds(job)
    return "" if value is None else f"{value:.1f} s"


def _queue_wait(_view, _context, job, _name) -> str:
    value = _seconds(job.queued_at, job.started_at)
    return "" if value is None else f"{value:.1f} s"


def _rtf(_view, _context, job, _name) -> str:
    value = real_time_factor(job)
    return "" if value is None else f"{value:.2f}x"


def order_link(_view, _context, job, _name) -> Markup:
    """The id, linking to the order page (everything about this render)."""
    value = str(job.id)
    return Markup('<a href="{}" title="{}"><code>{}</code></a>').format(
        url_for("admin_orders.order", job_id=value), f"Order page of {value}", value[:8])


def _changes_record(action_name: str, job_id, changes: dict, **extra) -> None:
    """Audit a service's ``changes`` ({field: {before, after}}) on a render job."""
    audit.record(action_name, "render_job", job_id,
                 before={k: v["before"] for k, v in changes.items()},
                 after={**{k: v["after"] for k, v in changes.items()}, **extra})


def requeue_job(job: RenderJob) -> None:
    """Requeue the job's current attempt from the failed registry (audited)."""
    if not job.rq_job_id:
        raise Conflict("This render never had a queued attempt.", code="invalid_render_state")
    result = requeue_failed(job.rq_job_id, actor_id=current_admin().id)
    _changes_record("render.requeue_failed", job.id, result.changes)


def delete_video(job: RenderJob) -> None:
    result = delete_stored_video(job.id, actor_id=current_admin().id)
    _changes_record("render.delete_video", job.id, result.changes,
                    objects_deleted=result.objects_deleted)


def resend_email(job: RenderJob) -> None:
    result = resend_video_ready_email(job.id, actor_id=current_admin().id)
    _changes_record("render.resend_email", job.id, result.changes, recipient=result.recipient)


ONE_ROW = {"requeue_one": (requeue_job, "Requeued"),
           "delete_video_one": (delete_video, "Deleted the video"),
           "resend_email_one": (resend_email, "Resent the email")}


def _template(_view, _context, job, _name) -> str:
    return str((job.config or {}).get("template", ""))


def _last_error(_view, _context, job, _name) -> str:
    if not job.error_code and not job.error_message:
        return ""
    text = f"{job.error_code or 'error'}: {job.error_message or ''}".strip()
    return text if len(text) <= 160 else text[:157] + "…"


class TemplateFilter(BaseSQLAFilter):
    """The ``template`` of the job's config (a JSON field)."""

    def apply(self, query, value, alias=None):
        return query.filter(RenderJob.config["template"].as_string() == value)

    def operation(self):
        return "equals"


class RenderJobsView(AdminModelView):
    column_list = COLUMNS
    column_details_list = DETAILS
    column_filters = (*enum_filters(RenderJob.status, "Status", RenderStatus), "user.email",
                      TemplateFilter(RenderJob.config, "Template",
                                     options=[(t, t) for t in catalog.template_ids()]),
                      "created_at")
    column_searchable_list = ("user.email", "audio_filename")
    column_choices = {"status": [(s.value, s.value) for s in RenderStatus]}
    column_labels = {"id": "Order", "user.email": "Owner", "queue_wait": "Queue wait",
                     "real_time_factor": "Real-time factor", "last_error": "Last error",
                     "audio_filename": "audio file"}
    column_formatters = {"id": order_link, "duration": _duration, "queue_wait": _queue_wait,
                         "real_time_factor": _rtf, "template": _template,
                         "last_error": _last_error}
    column_default_sort = ("created_at", True)

    def __init__(self):
        super().__init__(RenderJob, name="Render jobs", endpoint="admin_renders", url="/admin/renders")

    def _change(self, ids, action_name: str, apply, *, done: str) -> None:
        def act(job: RenderJob) -> None:
            before = audit.snapshot(job, *AUDITED)
            apply(job)
            audit.record(action_name, "render_job", job.id, before=before,
                         after=audit.snapshot(job, *AUDITED))

        self.run_action(ids, act, done=done)

    @action("retry", "Retry", "Start a new attempt of the selected failed renders?")
    def action_retry(self, ids):
        self._change(ids, "render.retry", lambda job: retry_render(job, admin=True), done="Retried")

    @action("cancel", "Cancel", "Cancel the selected unfinished renders?")
    def action_cancel(self, ids):
        self._change(ids, "render.cancel", lambda job: cancel_render(job, reason="admin"), done="Canceled")

    @action("requeue", "Requeue from the failed registry",
            "Requeue the failed attempt of the selected renders?")
    def action_requeue(self, ids):
        self.run_action(ids, requeue_job, done="Requeued")

    @action("delete_video", "Delete the stored video", "Delete the stored video of the selected "
            "renders now (the download then answers 410)?")
    def action_delete_video(self, ids):
        self.run_action(ids, delete_video, done="Deleted the video")

    @action("resend_email", "Resend the delivery email",
            "Send the video-ready email of the selected renders again?")
    def action_resend_email(self, ids):
        self.run_action(ids, resend_email, done="Resent the email")

    def _one(self, name: str, job_id: str):
        """One action on one render from its order page (a POST: operators only)."""
        form = ConfirmForm(request.form)
        if not form.validate() and csrf_failed(form):
            page, _status = forbidden("The form expired or did not come from this console; "
                                      "reload the page and try again.")
            return page, 400
        act, done = ONE_ROW[name]
        job = db.session.get(RenderJob, self._parse_id(job_id)) if self._parse_id(job_id) else None
        if job is None:
            return forbidden("No render job with this id.")[0], 404
        try:
            act(job)
            flash(f"{done}.", "success")
        except ApiError as exc:
            db.session.rollback()
            flash(f"Refused — {exc.message}", "error")
        return redirect(url_for("admin_orders.order", job_id=job_id))

    @expose("/<job_id>/requeue", methods=("POST",))
    def requeue_one(self, job_id):
        return self._one("requeue_one", job_id)

    @expose("/<job_id>/delete-video", methods=("POST",))
    def delete_video_one(self, job_id):
        return self._one("delete_video_one", job_id)

    @expose("/<job_id>/resend-email", methods=("POST",))
    def resend_email_one(self, job_id):
        return self._one("resend_email_one", job_id)
