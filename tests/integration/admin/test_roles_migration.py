"""Migration 0002: every administrator of before becomes an operator, and back down again."""

from __future__ import annotations

import uuid

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db
from tests.support.services import create_database, drop_database


@pytest.fixture
def empty_app(make_app):
    url = create_database(suffix="_roles")
    yield make_app(SQLALCHEMY_DATABASE_URI=url)
    with make_app(SQLALCHEMY_DATABASE_URI=url).app_context():
        db.engine.dispose()
    drop_database(url)


def test_admins_become_operators_and_customers_stay_customers(empty_app):
    admin, customer = uuid.uuid4(), uuid.uuid4()
    with empty_app.app_context():
        upgrade(revision="0001_initial")
        with db.engine.begin() as conn:
            for user_id, email, is_admin in ((admin, "root@example.com", True),
                                             (customer, "carl@example.com", False)):
                conn.execute(text(
                    "INSERT INTO users (id, email, password_hash, is_admin, is_active, created_at,"
                    " updated_at) VALUES (:id, :email, 'x', :is_admin, true, now(), now())"),
                    {"id": user_id, "email": email, "is_admin": is_admin})
        upgrade(revision="0002_admin_roles_audit")
        with db.engine.connect() as conn:
            roles = dict(conn.execute(text("SELECT email, admin_role FROM users")).all())
        assert roles == {"root@example.com": "operator", "carl@example.com": None}
        downgrade(revision="0001_initial")
        with db.engine.connect() as conn:
            flags = dict(conn.execute(text("SELECT email, is_admin FROM users")).all())
        assert flags == {"root@example.com": True, "carl@example.com": False}
        db.engine.dispose()
