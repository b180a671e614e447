"""The order page (``/admin/orders/<job_id>``): everything every system knows about one render
(``order_report.build_order_report``), read live, with the audit events touching it and the
operator's actions on it (delete the stored video, resend the delivery email, refund)."""

from __future__ import annotations

import uuid

from flask import abort, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import or_, select

from app.admin.base import AdminView
from app.admin.forms import ConfirmForm
from app.admin.order_report import build_order_report
from app.extensions import db
from app.models import AuditEvent, Payment

AUDIT_LIMIT = 100


def audit_events_of_job(job_id: str) -> list[dict]:
    """The audit rows whose target is the render job or one of its payments, newest first."""
    payment_ids = [str(p) for p in db.session.scalars(
        select(Payment.id).where(Payment.render_job_id == uuid.UUID(job_id)))]
    rows = db.session.scalars(
        select(AuditEvent).where(or_(
            (AuditEvent.target_type == "render_job") & (AuditEvent.target_id == job_id),
            (AuditEvent.target_type == "payment") & AuditEvent.target_id.in_(payment_ids)))
        .order_by(AuditEvent.created_at.desc()).limit(AUDIT_LIMIT)).all()
    return [{"at": e.created_at, "actor": e.actor_email, "role": e.actor_role, "action": e.action,
             "target": f"{e.target_type} {e.target_id}", "reason": e.reason, "before": e.before,
             "after": e.after, "ip": e.ip} for e in rows]


class OrdersView(AdminView):
    def __init__(self):
        super().__init__(name="Order", endpoint="admin_orders", url="/admin/orders")

    def is_visible(self) -> bool:  # reached from a render job or a payment, not the menu
        return False

    @expose("/")
    def index(self):
        job_id = (request.args.get("job_id") or "").strip()
        if job_id:
            return redirect(url_for(".order", job_id=job_id))
        return self.render("admin/order_lookup.html")

    @expose("/<job_id>")
    def order(self, job_id):
        report = build_order_report(
            job_id, audit_events=lambda _type, target: audit_events_of_job(target))
        if report is None:
            abort(404)
        return self.render("admin/order.html", report=report, action_form=ConfirmForm())
