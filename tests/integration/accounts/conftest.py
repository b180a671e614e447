"""Fixtures of the accounts tests: the fake SendGrid, and running queued jobs in-process."""

from __future__ import annotations

import pytest

from tests.support.fake_sendgrid import fake_sendgrid, fake_sendgrid_server  # noqa: F401
from tests.support.job_runner import JobRunner

STRONG_PASSWORD = "violet-harbour-lantern-42"


@pytest.fixture
def jobs(app, app_ctx):
    return JobRunner(app)


class AccountClient:
    """Registers and logs in through the API, as a client would."""

    def __init__(self, client):
        self.client = client

    def register(self, email="ada@example.com", password=STRONG_PASSWORD):
        response = self.client.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def login(self, email="ada@example.com", password=STRONG_PASSWORD, **kw):
        return self.client.post("/api/v1/auth/login", json={"email": email, "password": password}, **kw)

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def accounts(client):
    return AccountClient(client)
