"""The GCS adapter's retry rule: transient failures retried with backoff, then StorageError."""

from __future__ import annotations

import pytest
import requests
from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from app.adapters.storage.base import StorageError, StorageNotFound
from app.adapters.storage.gcs import GCSStorage, is_transient


def _storage(sleeps: list[float], attempts: int = 4) -> GCSStorage:
    client = gcs.Client(project="test", credentials=AnonymousCredentials(),
                        client_options={"api_endpoint": "http://127.0.0.1:9"})
    return GCSStorage("b", client=client, attempts=attempts, backoff_seconds=0.5,
                      sleep=sleeps.append)


def _failing(*errors):
    remaining = list(errors)

    def call():
        if remaining:
            raise remaining.pop(0)
        return "done"
    return call


@pytest.mark.parametrize("exc", [
    api_exceptions.ServiceUnavailable("503"), api_exceptions.InternalServerError("500"),
    api_exceptions.TooManyRequests("429"), api_exceptions.GatewayTimeout("504"),
    requests.exceptions.ConnectionError("reset"), requests.exceptions.ReadTimeout("slow"),
])
def test_transient_failures(exc):
    assert is_transient(exc)


@pytest.mark.parametrize("exc", [
    api_exceptions.Forbidden("403"), api_exceptions.BadRequest("400"), ValueError("bug"),
])
def test_permanent_failures(exc):
    assert not is_transient(exc)


def test_transient_failures_are_retried_with_exponential_backoff():
    sleeps: list[float] = []
    storage = _storage(sleeps)
    result = storage._call("upload", "k", _failing(api_exceptions.ServiceUnavailable("503"),
                                                   requests.exceptions.ReadTimeout("slow")))
    assert result == "done"
    assert sleeps == [0.5, 1.0]


def test_gives_up_after_the_configured_attempts_with_a_storage_error():
    sleeps: list[float] = []
    storage = _storage(sleeps, attempts=3)
    errors = [api_exceptions.ServiceUnavailable("503")] * 5
    with pytest.raises(StorageError, match="after 3 attempts"):
        storage._call("upload", "k", _failing(*errors))
    assert sleeps == [0.5, 1.0]


def test_permanent_failures_are_not_retried():
    sleeps: list[float] = []
    with pytest.raises(StorageError):
        _storage(sleeps)._call("upload", "k", _failing(api_exceptions.Forbidden("403")))
    assert sleeps == []


def test_missing_object_is_storage_not_found():
    sleeps: list[float] = []
    with pytest.raises(StorageNotFound):
        _storage(sleeps)._call("stat", "k", _failing(api_exceptions.NotFound("404")))
    assert sleeps == []


def test_chunk_size_must_be_a_multiple_of_256_kib():
    with pytest.raises(ValueError):
        GCSStorage("b", client=gcs.Client(project="t", credentials=AnonymousCredentials(),
                                          client_options={"api_endpoint": "http://127.0.0.1:9"}),
                   chunk_size=1000)
