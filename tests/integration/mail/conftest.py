"""Fixtures of the mail tests: the fake SendGrid, and running queued jobs in-process."""

from __future__ import annotations

import pytest

from tests.support.fake_sendgrid import fake_sendgrid, fake_sendgrid_server  # noqa: F401
from tests.support.job_runner import JobRunner


@pytest.fixture
def jobs(app, app_ctx):
    return JobRunner(app)
