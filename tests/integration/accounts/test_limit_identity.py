"""Per-account limits follow the account, whatever spelling of its address a client sends.

Another form of the same address (case, or Unicode compatibility forms such as full-width
letters in the domain, which the email normaliser folds to the stored address) must count
against the same login and password-reset limits, not get a counter of its own.
"""

from __future__ import annotations

import pytest

from tests.integration.accounts.conftest import STRONG_PASSWORD


def full_width(text: str) -> str:
    """``text`` in full-width letters (U+FF41...), which NFKC folds back to ASCII."""
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalpha() else ch for ch in text)


# Every one of these finds the account registered as ada@example.com.
SPELLINGS = [
    "ada@example.com",
    "ADA@EXAMPLE.COM",
    "ada@" + full_width("example") + ".com",  # full-width letters in the domain
    "Ada@" + full_width("EXAMPLE.COM"),
    " ada@Example.com ",
]


def _login(client, email, ip, password="wrong-password-1"):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_every_spelling_finds_the_same_account(accounts):
    accounts.register()
    for spelling in SPELLINGS:
        assert accounts.login(email=spelling).status_code == 200, spelling


def test_login_lockout_is_shared_by_every_spelling_of_the_address(client, accounts):
    accounts.register()
    for attempt in range(10):  # ten wrong passwords, from ten addresses, in five spellings
        response = _login(client, SPELLINGS[attempt % len(SPELLINGS)], f"10.20.0.{attempt}")
        assert response.status_code == 401, (attempt, response.get_json())
    for index, spelling in enumerate(SPELLINGS):  # locked out: even the right password, any spelling
        response = _login(client, spelling, f"10.21.0.{index}", password=STRONG_PASSWORD)
        assert response.status_code == 429, (spelling, response.get_json())
        assert response.get_json()["error"]["code"] == "rate_limited"


def test_login_lockout_follows_the_account_after_an_email_change(client, accounts):
    token = accounts.register()["access_token"]
    for attempt in range(10):
        assert _login(client, "ada@example.com", f"10.22.0.{attempt}").status_code == 401
    changed = client.patch("/api/v1/account", headers=accounts.bearer(token),
                           json={"email": "ada.lovelace@example.com", "current_password": STRONG_PASSWORD})
    assert changed.status_code == 200
    locked = _login(client, "ada.lovelace@example.com", "10.22.1.1", password=STRONG_PASSWORD)
    assert locked.status_code == 429


@pytest.mark.parametrize("registered", ["ada@example.com", "ada@" + full_width("example.com")])
def test_reset_emails_per_minute_stay_within_the_limit_whatever_the_spelling(
        client, accounts, jobs, fake_sendgrid, registered):
    accounts.register(email=registered)
    answers = []
    for attempt in range(2 * len(SPELLINGS)):
        response = client.post("/api/v1/auth/password-reset",
                               json={"email": SPELLINGS[attempt % len(SPELLINGS)]},
                               environ_base={"REMOTE_ADDR": f"10.23.0.{attempt}"})
        answers.append(response.status_code)
    assert answers[:3] == [202, 202, 202]
    assert set(answers[3:]) == {429}
    jobs.run()
    assert len(fake_sendgrid.delivered) == 3  # RESET_PER_EMAIL: 3 per minute
    assert {tuple(sent.to) for sent in fake_sendgrid.delivered} == {("ada@example.com",)}


def test_unknown_addresses_in_other_spellings_share_one_counter(client):
    for attempt in range(3):
        response = client.post("/api/v1/auth/password-reset", json={"email": SPELLINGS[attempt]},
                               environ_base={"REMOTE_ADDR": f"10.24.0.{attempt}"})
        assert response.status_code == 202
    limited = client.post("/api/v1/auth/password-reset", json={"email": SPELLINGS[3]},
                          environ_base={"REMOTE_ADDR": "10.24.1.1"})
    assert limited.status_code == 429


def test_other_accounts_keep_their_own_counters(client, accounts):
    accounts.register()
    accounts.register(email="grace@example.com")
    for attempt in range(10):
        assert _login(client, SPELLINGS[attempt % len(SPELLINGS)], f"10.25.0.{attempt}").status_code == 401
    assert _login(client, "grace@example.com", "10.25.1.1", password=STRONG_PASSWORD).status_code == 200
