"""Payments: a read-only list, filtered by status and dates; the refund (full or a given amount,
with a required reason) through ``payments.refunds.refund_payment_amount``, audited."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from markupsafe import Markup

from app.admin import audit
from app.admin.access import current_admin, is_operator, operator_only
from app.admin.base import AdminModelView, enum_filters
from app.admin.forms import RefundForm
from app.errors import ApiError
from app.extensions import db
from app.models import Payment, PaymentStatus
from app.payments.refunds import refund_payment_amount

COLUMNS = ("user.email", "refund_state", "amount", "refunded_amount", "created_at", "paid_at",
           "refunded_at", "render_job_id", "id", "refund_id", "payment_intent_id",
           "checkout_session_id")


def money(_view, _context, payment: Payment, name) -> str:
    return f"{(getattr(payment, name) or 0) / 100:.2f} {payment.currency.upper()}"


def state(_view, _context, payment: Payment, _name) -> Markup:
    """``paid``, ``refunded`` or ``partially refunded`` (with a refund link for an operator)."""
    value = payment.refund_state
    badge = Markup('<span class="badge {}" data-testid="refund-state">{}</span>').format(
        {"paid": "badge-success", "refunded": "badge-secondary",
         "partially_refunded": "badge-warning"}.get(value, "badge-light"),
        value.replace("_", " "))
    if is_operator() and payment.refundable_amount > 0:
        badge += Markup(' <a class="small" href="{}">Refund…</a>').format(
            url_for("admin_payments.refund", payment_id=payment.id))
    return badge


def order_link(_view, _context, payment: Payment, _name) -> Markup:
    value = str(payment.render_job_id)
    return Markup('<a href="{}" title="{}"><code>{}</code></a>').format(
        url_for("admin_orders.order", job_id=value), f"Order page of {value}", value[:8])


class PaymentsView(AdminModelView):
    column_list = COLUMNS
    column_details_list = COLUMNS
    column_filters = (*enum_filters(Payment.status, "Status", PaymentStatus), "created_at", "paid_at",
                      "refunded_at")
    column_searchable_list = ("checkout_session_id", "payment_intent_id")
    column_labels = {"user.email": "Owner", "render_job_id": "Order", "refund_state": "Status",
                     "refunded_amount": "Refunded"}
    column_formatters = {"amount": money, "refunded_amount": money, "refund_state": state,
                         "render_job_id": order_link}
    column_default_sort = ("created_at", True)

    def __init__(self):
        super().__init__(Payment, name="Payments", endpoint="admin_payments", url="/admin/payments")

    @expose("/<payment_id>/refund", methods=("GET", "POST"))
    @operator_only  # the form itself is an action
    def refund(self, payment_id):
        try:
            payment = db.session.get(Payment, uuid.UUID(payment_id))
        except ValueError:
            payment = None
        if payment is None:
            abort(404)
        form = RefundForm(request.form if request.method == "POST" else None)
        order_url = url_for("admin_orders.order", job_id=payment.render_job_id)
        status = 200
        if request.method == "POST":
            status = 422
            if form.validate():
                try:
                    change = refund_payment_amount(payment.id, amount=form.amount.data,
                                                   reason=form.reason.data,
                                                   actor_id=current_admin().id)
                except ApiError as exc:
                    db.session.rollback()
                    form.amount.errors = [*form.amount.errors, exc.message]
                    status = exc.status if exc.status < 500 else 502
                else:
                    audit.record("payment.refund", "payment", payment.id, reason=form.reason.data,
                                 before={k: v["before"] for k, v in change.changes.items()},
                                 after={**{k: v["after"] for k, v in change.changes.items()},
                                        "refunded_now": change.amount})
                    flash(f"Refund of {change.amount / 100:.2f} {change.currency.upper()}: "
                          f"{change.outcome.replace('_', ' ')}.", "success")
                    return redirect(order_url)
        remaining = payment.refundable_amount
        return self.render(
            "admin/action_form.html", form=form, title=f"Refund payment {str(payment.id)[:8]}",
            description=(f"{payment.render_job.user.email} paid {payment.amount / 100:.2f} "
                         f"{payment.currency.upper()}; "
                         f"{remaining / 100:.2f} ({remaining} cents) is left to refund. Leave the "
                         "amount empty to refund all of it. The reason is kept in the audit trail."),
            submit="Refund", cancel_url=order_url), status
