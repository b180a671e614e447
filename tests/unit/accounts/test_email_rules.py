import pytest

from app.accounts.service import normalize_email
from app.errors import InvalidField


def test_emails_are_normalised_and_lower_cased():
    assert normalize_email("  Ada@EXAMPLE.com ") == "ada@example.com"


@pytest.mark.parametrize("raw", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_invalid_emails_name_the_field(raw):
    with pytest.raises(InvalidField) as exc:
        normalize_email(raw)
    assert "email" in exc.value.details["fields"]
