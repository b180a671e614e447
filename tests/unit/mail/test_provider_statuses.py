"""Which SendGrid answers are worth a retry."""

import pytest

from app.adapters.email.sendgrid import is_retryable_status


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_throttling_and_server_errors_are_retried(status):
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_other_client_errors_are_not(status):
    assert not is_retryable_status(status)
