"""The base classes of every console view.

    class OrdersView(AdminView):                   # a page of our own
        @expose("/")
        def index(self):
            return self.render("admin/orders.html")

        @expose("/<job_id>/refund", methods=("GET", "POST"))
        @operator_only                             # the GET (the form) is an action too
        def refund(self, job_id):
            form = RefundForm(request.form if request.method == "POST" else None)  # a ReasonForm
            if request.method == "POST" and form.validate():
                before = audit.snapshot(payment, "status")
                refund_payment(...)                # the service; it commits
                audit.record("payment.refund", "payment", payment.id, reason=form.reason.data,
                             before=before, after=audit.snapshot(payment, "status"))
                return redirect(...)
            return self.render("admin/action_form.html", form=form, title=..., description=...,
                               submit="Refund", cancel_url=...)

    class RenderJobsView(AdminModelView):          # a read-only list of rows
        @action("retry", "Retry", "Retry the selected renders?")
        def action_retry(self, ids):               # an action is a POST: operators only
            self.run_action(ids, lambda job: ..., done="Retried")

Every POST is for operators (``AdminAccessMixin``); ``AdminModelView`` shows rows and changes
them only through actions that call a service and ``audit.record``. A view is added in
``app/admin/__init__.py`` (endpoint ``admin_<name>``, url ``/admin/<name>``); the url-map sweep
(tests/integration/admin/test_access_sweep.py) then checks it for every kind of visitor.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import flash
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import FilterConverter, FilterEqual, FilterNotEqual
from flask_admin.form import SecureForm
from flask_admin.model import typefmt
from flask_admin.model.filters import convert
from markupsafe import Markup

from app.admin.access import AdminAccessMixin, forbidden
from app.admin.forms import csrf_failed
from app.errors import ApiError
from app.extensions import db


def utc_time(_view, value: datetime, _name=None) -> str:
    """``2026-12-05 00:31:20 UTC``: to the second, one zone, short enough for a phone."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def short_id(_view, _context, row, name) -> Markup:
    """The first 8 characters of a UUID in the list (the whole one in its tooltip and details)."""
    value = str(getattr(row, name))
    return Markup('<code title="{}">{}</code>').format(value, value[:8])


TYPE_FORMATTERS = {**typefmt.BASE_FORMATTERS, datetime: utc_time}
DETAIL_TYPE_FORMATTERS = {**typefmt.DETAIL_FORMATTERS, datetime: utc_time}


class ConsoleFilterConverter(FilterConverter):
    """Flask-Admin's filters, plus our timezone-aware ``UTCDateTime`` columns as datetimes."""

    @convert("UTCDateTime")
    def conv_utc_datetime(self, column, name, **kwargs):
        return self.conv_datetime(column, name, **kwargs)


class _EnumValue:
    """An enum column filtered by its stored value (``failed``); an unknown value is ignored."""

    def __init__(self, column, name, enum_class, **kwargs):
        options = [(member.value, member.value) for member in enum_class]
        super().__init__(column, name, options=options, **kwargs)
        self.enum_class = enum_class

    def clean(self, value):
        return self.enum_class(value)  # ValueError: Flask-Admin drops the filter


class EnumEquals(_EnumValue, FilterEqual):
    pass


class EnumNotEquals(_EnumValue, FilterNotEqual):
    pass


def enum_filters(column, name: str, enum_class) -> tuple:
    return EnumEquals(column, name, enum_class), EnumNotEquals(column, name, enum_class)


class AdminView(AdminAccessMixin, BaseView):
    """A console page of our own (not a model list)."""


class AdminModelView(AdminAccessMixin, ModelView):
    """A read-only list of rows with filters and a details page; no create, edit or delete form."""

    form_base_class = SecureForm
    filter_converter = ConsoleFilterConverter()
    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    can_view_details = True
    can_set_page_size = True
    page_size = 50
    column_display_pk = True
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = DETAIL_TYPE_FORMATTERS
    action_disallowed_list: list[str] = []

    def __init__(self, model, *, name: str, endpoint: str, url: str, **kwargs):
        self.column_formatters = {"id": short_id, **getattr(self, "column_formatters", {})}
        # the details page shows every id in full
        self.column_formatters_detail = {name: fmt for name, fmt in self.column_formatters.items()
                                         if fmt is not short_id}
        super().__init__(model, db, name=name, endpoint=endpoint, url=url, **kwargs)

    def handle_action(self, return_view=None):
        """A mass action without a valid CSRF token is refused outright (400), nothing done."""
        form = self.action_form()
        if not form.validate() and csrf_failed(form):
            page, _status = forbidden("The form expired or did not come from this console; reload "
                                      "the page and try again.")
            return page, 400
        return super().handle_action(return_view)

    def rows(self, ids: list[str]) -> list:
        """The rows an action was asked to act on (unknown ids are skipped)."""
        keys = [key for key in map(self._parse_id, ids) if key is not None]
        return list(db.session.scalars(db.select(self.model).where(self.model.id.in_(keys))))

    @staticmethod
    def _parse_id(raw: str):
        try:
            return uuid.UUID(raw)
        except (TypeError, ValueError):
            return None

    def run_action(self, ids: list[str], act, *, done: str) -> None:
        """Call ``act(row)`` for each row; a refusal (our ``ApiError``) is shown, never a 500."""
        ok, refused = 0, []
        for row in self.rows(ids):
            try:
                act(row)
                ok += 1
            except ApiError as exc:
                db.session.rollback()
                refused.append(f"{row.id}: {exc.message}")
        if ok:
            flash(f"{done}: {ok} row(s).", "success")
        for message in refused:
            flash(f"Refused — {message}", "error")

