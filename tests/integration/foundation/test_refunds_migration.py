"""Revision 0003 itemises the refunds made before it: each refunded payment gets its refund row
and its refunded amount, so the dashboard's refund totals include them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app.extensions import db
from tests.support.services import create_database, drop_database

TS = sa.DateTime(timezone=True)
COLUMNS = {"email": sa.String, "password_hash": sa.String, "is_admin": sa.Boolean,
           "is_active": sa.Boolean, "status": sa.String, "audio_key": sa.String,
           "audio_filename": sa.String, "audio_duration": sa.Float, "progress": sa.Integer,
           "attempts": sa.Integer, "priority": sa.String, "cancel_requested": sa.Boolean,
           "checkout_session_id": sa.String, "amount": sa.Integer, "currency": sa.String,
           "refund_id": sa.String}


def _table(name: str, **typed) -> sa.TableClause:
    """A lightweight table of the 0001 schema (the models have moved on since)."""
    return sa.table(name, *(sa.column(k, v) for k, v in {**COLUMNS, **typed}.items()))


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_app(request, make_app, tmp_path):
    if request.param == "postgresql":
        url = create_database(suffix="_refunds_backfill")
        yield make_app(SQLALCHEMY_DATABASE_URI=url)
        with make_app(SQLALCHEMY_DATABASE_URI=url).app_context():
            db.engine.dispose()
        drop_database(url)
    else:
        yield make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'backfill.db'}")


def test_refunded_payments_get_their_refund_row(empty_app):
    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    user, job, refunded, paid = (uuid.uuid4() for _ in range(4))
    with empty_app.app_context():
        upgrade(revision="0001_initial")
        with db.engine.begin() as conn:
            conn.execute(_table("users", id=sa.Uuid, created_at=TS, updated_at=TS).insert(), [{
                "id": user, "email": "a@example.com", "password_hash": "x", "is_admin": False,
                "is_active": True, "created_at": at, "updated_at": at}])
            conn.execute(_table("render_jobs", id=sa.Uuid, user_id=sa.Uuid, config=sa.JSON,
                                created_at=TS, updated_at=TS).insert(), [{
                "id": job, "user_id": user, "status": "canceled", "config": {},
                "audio_key": "k", "audio_filename": "a.mp3", "audio_duration": 1.0,
                "progress": 0, "attempts": 1, "priority": "high", "cancel_requested": False,
                "created_at": at, "updated_at": at}])
            conn.execute(_table("payments", id=sa.Uuid, user_id=sa.Uuid, render_job_id=sa.Uuid,
                                refunded_at=TS, created_at=TS, updated_at=TS).insert(), [{
                "id": payment, "user_id": user, "render_job_id": job,
                "checkout_session_id": f"cs_{payment.hex}", "amount": 299, "currency": "usd",
                "status": status, "refund_id": "re_old" if status == "refunded" else None,
                "refunded_at": at if status == "refunded" else None, "created_at": at,
                "updated_at": at} for payment, status in ((refunded, "refunded"), (paid, "paid"))])

        upgrade()

        with db.engine.connect() as conn:
            refunds = sa.table("payment_refunds", sa.column("payment_id", sa.Uuid),
                               sa.column("amount"), sa.column("stripe_refund_id"),
                               sa.column("status"))
            payments = sa.table("payments", sa.column("id", sa.Uuid),
                                sa.column("refunded_amount"))
            rows = conn.execute(sa.select(refunds)).all()
            amounts = dict(conn.execute(sa.select(payments)).all())
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [(refunded, 299, "re_old", "succeeded")]
    assert amounts == {refunded: 299, paid: 0}
