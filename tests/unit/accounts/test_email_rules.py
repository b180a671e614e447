import pytest

from app.adapters.email.sendgrid import is_retryable_status
from app.errors import InvalidField
from app.services.accounts import normalize_email


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_throttling_and_server_errors_are_retried(status):
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_other_client_errors_are_not(status):
    assert not is_retryable_status(status)


def test_emails_are_normalised_and_lower_cased():
    assert normalize_email("  Ada@EXAMPLE.com ") == "ada@example.com"


@pytest.mark.parametrize("raw", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_invalid_emails_name_the_field(raw):
    with pytest.raises(InvalidField) as exc:
        normalize_email(raw)
    assert "email" in exc.value.details["fields"]
