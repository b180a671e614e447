"""Payments: a read-only list, filtered by status and dates (the refund action comes later)."""

from __future__ import annotations

from app.admin.base import AdminModelView, enum_filters, short_id
from app.models import Payment, PaymentStatus

COLUMNS = ("user.email", "status", "amount", "created_at", "paid_at", "refunded_at", "render_job_id",
           "id", "refund_id", "payment_intent_id", "checkout_session_id")


def money(_view, _context, payment: Payment, _name) -> str:
    return f"{payment.amount / 100:.2f} {payment.currency.upper()}"


class PaymentsView(AdminModelView):
    column_list = COLUMNS
    column_details_list = COLUMNS
    column_filters = (*enum_filters(Payment.status, "Status", PaymentStatus), "created_at", "paid_at",
                      "refunded_at")
    column_searchable_list = ("checkout_session_id", "payment_intent_id")
    column_choices = {"status": [(s.value, s.value) for s in PaymentStatus]}
    column_labels = {"user.email": "Owner", "render_job_id": "Render job"}
    column_formatters = {"amount": money, "render_job_id": short_id}
    column_default_sort = ("created_at", True)

    def __init__(self):
        super().__init__(Payment, name="Payments", endpoint="admin_payments", url="/admin/payments")
