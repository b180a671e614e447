"""Unit tests of the rules: an app on in-memory SQLite with in-memory twins of the adapters and
of the queue (``tests/support/twins.py``). No Postgres, no Redis, no HTTP."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.support.twins import unit_app


@pytest.fixture
def unit(tmp_path):
    """``(app, twins)``, inside the app's context."""
    app, twins = unit_app(tmp_path)
    with app.app_context():
        yield app, twins
        db.session.remove()
