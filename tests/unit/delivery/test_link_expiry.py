"""Download links: signatures and lifetimes, checked without any server.

GCS V4 signed URLs are verified with an independent implementation of Google's signing
process (tests/support/gcs_signing.py), since the emulator does not check them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from app.adapters.storage.base import MAX_LINK_SECONDS
from app.adapters.storage.gcs import GCSStorage, iam_signing_credentials, signing_credentials_from_config
from app.adapters.storage.local import (
    ExpiredDownloadToken,
    InvalidDownloadToken,
    make_download_token,
    read_download_token,
)
from app.delivery.links import download_link_ttl
from tests.support.gcs_signing import (
    FakeIAMTransport,
    ServiceAccountKey,
    parse_signed_url,
    signature_is_valid,
)

SECRET = "unit-test-secret-key-0123456789abcdef"
ENDPOINT = "http://127.0.0.1:9"  # never contacted: signing is local


@pytest.fixture(scope="module")
def sa_key() -> ServiceAccountKey:
    return ServiceAccountKey.generate()


def _storage(signing_credentials) -> GCSStorage:
    client = gcs.Client(project="test", credentials=AnonymousCredentials(),
                        client_options={"api_endpoint": ENDPOINT})
    return GCSStorage("waveframe-test", client=client, signing_credentials=signing_credentials)


@pytest.fixture(scope="module")
def key_file_storage(sa_key, tmp_path_factory) -> GCSStorage:
    key_file = sa_key.write(tmp_path_factory.mktemp("sa") / "key.json")
    credentials = signing_credentials_from_config({"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)})
    return _storage(credentials)


# -- local-storage tokens ------------------------------------------------------------------

def test_local_token_carries_key_name_and_expiry():
    expires = int(time.time()) + 600
    token = make_download_token(SECRET, "renders/u/j.mp4", expires_at=expires, filename="A.mp4")
    grant = read_download_token(SECRET, token)
    assert (grant.key, grant.filename, grant.expires_at) == ("renders/u/j.mp4", "A.mp4", expires)


def test_local_token_works_until_its_expiry_and_not_after():
    token = make_download_token(SECRET, "renders/u/j.mp4", expires_at=1_000_000)
    assert read_download_token(SECRET, token, now=999_999.9).key == "renders/u/j.mp4"
    with pytest.raises(ExpiredDownloadToken):
        read_download_token(SECRET, token, now=1_000_000)
    with pytest.raises(ExpiredDownloadToken):
        read_download_token(SECRET, token, now=1_000_000 + 86400)


def test_local_token_refuses_tampering_and_other_secrets():
    token = make_download_token(SECRET, "renders/u/j.mp4", expires_at=int(time.time()) + 600)
    payload, signature = token.rsplit(".", 1)
    forged_payload = make_download_token(SECRET, "renders/other/x.mp4",
                                         expires_at=int(time.time()) + 600).rsplit(".", 1)[0]
    for bad in (forged_payload + "." + signature, payload + "." + signature[::-1], "garbage", ""):
        with pytest.raises(InvalidDownloadToken):
            read_download_token(SECRET, bad)
    with pytest.raises(InvalidDownloadToken):
        read_download_token("another-secret-key-0123456789abcdef", token)


# -- lifetimes ------------------------------------------------------------------------------

@pytest.mark.parametrize(("configured", "expected"), [
    (24 * 3600, 24 * 3600),           # the default
    (3600, 3600),
    (30 * 24 * 3600, MAX_LINK_SECONDS),  # capped at 7 days
    (5, 60),                          # at least a minute
])
def test_link_ttl_is_the_setting_capped_at_seven_days(configured, expected):
    assert download_link_ttl({"DOWNLOAD_LINK_TTL": configured}) == expected
    assert MAX_LINK_SECONDS == 604800


# -- GCS V4 signed URLs -----------------------------------------------------------------------

def test_signed_url_has_a_valid_v4_signature(sa_key, key_file_storage):
    url = key_file_storage.download_url("renders/u/j.mp4", expires_in=3600, filename="My Song.mp4")
    assert url.startswith(f"{ENDPOINT}/waveframe-test/renders/u/j.mp4?")
    params = parse_signed_url(url).params
    assert params["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert params["X-Goog-Credential"].startswith(sa_key.email + "/")
    assert params["response-content-disposition"] == 'attachment; filename="My Song.mp4"'
    assert signature_is_valid(url, sa_key.private_key.public_key())


def test_tampered_signed_url_fails_verification(sa_key, key_file_storage):
    url = key_file_storage.download_url("renders/u/j.mp4", expires_in=3600)
    public = sa_key.private_key.public_key()
    assert not signature_is_valid(url.replace("renders/u/j.mp4", "renders/u/k.mp4"), public)
    assert not signature_is_valid(url.replace("X-Goog-Expires=3600", "X-Goog-Expires=604800"),
                                  public)
    other = ServiceAccountKey.generate()
    assert not signature_is_valid(url, other.private_key.public_key())


def test_signed_url_lifetime_is_the_one_asked_for(key_file_storage):
    before = datetime.now(UTC).replace(microsecond=0)
    signed = parse_signed_url(key_file_storage.download_url("renders/u/j.mp4", expires_in=900))
    after = datetime.now(UTC)
    assert before <= signed.signed_at <= after
    assert signed.expires_in == 900
    assert signed.valid_at(signed.signed_at + timedelta(seconds=899))
    assert not signed.valid_at(signed.signed_at + timedelta(seconds=900))
    assert not signed.valid_at(signed.signed_at + timedelta(days=1))


def test_signed_url_lifetime_is_capped_at_seven_days(key_file_storage):
    signed = parse_signed_url(key_file_storage.download_url("k.mp4", expires_in=30 * 86400))
    assert signed.expires_in == MAX_LINK_SECONDS


def test_signed_url_through_iam_sign_blob(sa_key):
    """No key file: the signature comes from the IAM Credentials API's signBlob."""
    transport = FakeIAMTransport(sa_key)
    credentials = iam_signing_credentials(sa_key.email, source_credentials=AnonymousCredentials(),
                                          request=transport)
    url = _storage(credentials).download_url("renders/u/j.mp4", expires_in=600)
    assert len(transport.calls) == 1
    assert transport.calls[0]["url"].endswith(f"/serviceAccounts/{sa_key.email}:signBlob")
    assert transport.calls[0]["method"] == "POST"
    assert parse_signed_url(url).params["X-Goog-Credential"].startswith(sa_key.email + "/")
    assert signature_is_valid(url, sa_key.private_key.public_key())


def test_no_signing_credentials_is_a_clear_storage_error():
    from app.adapters.storage.base import StorageError
    with pytest.raises(StorageError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        _storage(None).download_url("k.mp4", expires_in=60)
