"""The migrations build the schema from empty on Postgres and SQLite, go back down, and agree
with the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db
from tests.support.services import create_database, drop_database

TABLES = {"users", "password_reset_tokens", "render_jobs", "render_chunks", "payments", "stripe_events",
          "email_deliveries", "alembic_version"}


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database_app(request, make_app, tmp_path):
    if request.param == "postgresql":
        url = create_database(suffix="_migrations")
        yield make_app(SQLALCHEMY_DATABASE_URI=url)
        with make_app(SQLALCHEMY_DATABASE_URI=url).app_context():
            db.engine.dispose()
        drop_database(url)
    else:
        yield make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'waveframe.db'}")


def test_upgrade_from_empty_then_downgrade_to_base(empty_database_app):
    with empty_database_app.app_context():
        upgrade()
        assert TABLES <= set(inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        db.engine.dispose()


def test_session_schema_matches_models(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                db.metadata)
    assert diff == []
