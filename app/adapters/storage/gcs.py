"""Google Cloud Storage through the real ``google-cloud-storage`` client.

* ``STORAGE_EMULATOR_HOST`` points the client at a local emulator (tests) with anonymous
  credentials; otherwise Application Default Credentials are used.
* Large files go up with a resumable upload in ``chunk_size`` pieces; every upload is checked
  afterwards (stored size and MD5 equal the local file's).
* Transient failures (5xx, 429, timeouts, dropped connections) are retried here with
  exponential backoff, then raised as ``StorageError`` so the RQ task retries in its turn.
  Tunables (app config or environment): ``GCS_RETRY_ATTEMPTS`` (4), ``GCS_RETRY_BACKOFF_SECONDS``
  (0.5, doubled each time), ``GCS_TIMEOUT_SECONDS`` (60), ``GCS_CHUNK_SIZE`` (8 MiB).
* Download links are V4 signed URLs, signed with a service-account key file
  (``GOOGLE_APPLICATION_CREDENTIALS``) or through IAM signBlob as
  ``GCS_SIGNING_SERVICE_ACCOUNT`` (no key file needed, e.g. on Cloud Run or GKE).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import google.auth
import requests
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions
from google.auth import iam
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import Request
from google.cloud import storage as gcs
from google.cloud.storage import exceptions as gcs_exceptions
from google.oauth2 import service_account

from app.adapters.storage.base import (
    MAX_LINK_SECONDS,
    ObjectInfo,
    Storage,
    StorageError,
    StorageNotFound,
    content_disposition,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

MiB = 1024 * 1024
CHUNK_QUANTUM = 256 * 1024  # resumable chunks must be multiples of 256 KiB
DEFAULT_CHUNK_SIZE = 8 * MiB
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"

_TRANSIENT_TRANSPORT_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                               requests.exceptions.ChunkedEncodingError,
                               auth_exceptions.TransportError, ConnectionError, TimeoutError)


def is_transient(exc: BaseException) -> bool:
    """A failure worth retrying: 5xx, 429, 408, timeouts, dropped connections."""
    if isinstance(exc, _TRANSIENT_TRANSPORT_ERRORS):
        return True
    if isinstance(exc, api_exceptions.GoogleAPICallError):
        status = exc.code
        return status is None or status >= 500 or status in (408, 429)
    if isinstance(exc, gcs_exceptions.InvalidResponse):
        status = getattr(exc.response, "status_code", None)
        return status is None or status >= 500 or status in (408, 429)
    return False


class GCSStorage(Storage):
    name = "gcs"

    def __init__(self, bucket: str, *, client: gcs.Client, signing_credentials: Any = None,
                 chunk_size: int = DEFAULT_CHUNK_SIZE, timeout: float = 60.0,
                 attempts: int = 4, backoff_seconds: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep):
        if chunk_size % CHUNK_QUANTUM:
            raise ValueError(f"chunk_size must be a multiple of {CHUNK_QUANTUM} bytes")
        self.client = client
        self.bucket_name = bucket
        self.bucket = client.bucket(bucket)
        self.signing_credentials = signing_credentials
        self.chunk_size = chunk_size
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep

    # -- construction ----------------------------------------------------------
    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> GCSStorage:
        """Build from the app config (a Flask config or any mapping of the same names)."""
        emulator = config.get("STORAGE_EMULATOR_HOST") or ""
        if emulator:
            if "://" not in emulator:
                emulator = "http://" + emulator
            client = gcs.Client(project=config.get("GCS_PROJECT") or "test",
                                credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": emulator})
        else:
            client = gcs.Client(project=config.get("GCS_PROJECT") or None)
        options = {
            "signing_credentials": signing_credentials_from_config(config),
            "chunk_size": int(_tunable(config, "GCS_CHUNK_SIZE", DEFAULT_CHUNK_SIZE)),
            "timeout": float(_tunable(config, "GCS_TIMEOUT_SECONDS", 60)),
            "attempts": int(_tunable(config, "GCS_RETRY_ATTEMPTS", 4)),
            "backoff_seconds": float(_tunable(config, "GCS_RETRY_BACKOFF_SECONDS", 0.5)),
        }
        options.update(overrides)
        return cls(config["GCS_BUCKET"], client=client, **options)

    # -- retries ---------------------------------------------------------------
    def _call(self, operation: str, key: str, func: Callable[[], T]) -> T:
        """Run ``func`` with retries on transient failures; map errors to ours."""
        for attempt in range(1, self.attempts + 1):
            try:
                return func()
            except api_exceptions.NotFound as exc:
                raise StorageNotFound(key) from exc
            except Exception as exc:
                if not is_transient(exc):
                    raise StorageError(f"GCS {operation} of {key!r} failed: "
                                       f"{type(exc).__name__}") from exc
                if attempt == self.attempts:
                    log.warning("storage_gave_up", extra={"operation": operation, "key": key,
                                                          "attempts": attempt,
                                                          "error_type": type(exc).__name__})
                    raise StorageError(f"GCS {operation} of {key!r} failed after {attempt} "
                                       f"attempts: {type(exc).__name__}") from exc
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                log.info("storage_retry", extra={"operation": operation, "key": key,
                                                 "attempt": attempt, "delay_seconds": delay,
                                                 "error_type": type(exc).__name__})
                self._sleep(delay)
        raise AssertionError("unreachable")

    # -- the Storage interface -------------------------------------------------
    def put_file(self, key: str, path: Path, *, content_type: str,
                 download_name: str | None = None) -> ObjectInfo:
        path = Path(path)
        size, md5_b64 = _size_and_md5(path)

        def upload() -> gcs.Blob:
            blob = self.bucket.blob(key)
            blob.content_type = content_type
            if download_name:
                blob.content_disposition = content_disposition(download_name)
            resumable = size > self.chunk_size
            with open(path, "rb") as stream:
                if resumable:
                    # A resumable upload sent in chunk_size pieces (the client picks one
                    # multipart request whenever it is told the size, so it is not told).
                    blob.chunk_size = self.chunk_size
                    blob.upload_from_file(stream, content_type=content_type, size=None,
                                          checksum="md5", timeout=self.timeout, retry=None)
                else:
                    blob.upload_from_file(stream, content_type=content_type, size=size,
                                          checksum="md5", timeout=self.timeout, retry=None)
            return blob

        blob = self._call("upload", key, upload)
        if int(blob.size or -1) != size or blob.md5_hash != md5_b64:
            log.error("storage_verify_failed", extra={"key": key, "local_size": size,
                                                      "stored_size": blob.size})
            self._call("delete", key, lambda: self._delete_quietly(key))
            raise StorageError(f"stored object {key!r} does not match the uploaded file")
        log.info("storage_put", extra={"key": key, "size": size,
                                       "resumable": size > self.chunk_size})
        return _info(blob)

    def download_to(self, key: str, path: Path) -> Path:
        def download() -> None:
            self.bucket.blob(key).download_to_filename(str(path), timeout=self.timeout,
                                                       retry=None)
        try:
            self._call("download", key, download)
        except StorageError:
            Path(path).unlink(missing_ok=True)
            raise
        return Path(path)

    def stat(self, key: str) -> ObjectInfo:
        def reload() -> gcs.Blob:
            blob = self.bucket.blob(key)
            blob.reload(timeout=self.timeout, retry=None)
            return blob
        return _info(self._call("stat", key, reload))

    def _delete_quietly(self, key: str) -> bool:
        try:
            self.bucket.blob(key).delete(timeout=self.timeout, retry=None)
        except api_exceptions.NotFound:
            return False
        return True

    def delete(self, key: str) -> bool:
        return self._call("delete", key, lambda: self._delete_quietly(key))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        def all_pages() -> list[ObjectInfo]:
            return [_info(blob) for blob in self.client.list_blobs(
                self.bucket_name, prefix=prefix or None, timeout=self.timeout, retry=None)]
        yield from self._call("list", prefix, all_pages)

    def check(self) -> None:
        self._call("list", "__readyz__/", lambda: next(iter(self.client.list_blobs(
            self.bucket_name, prefix="__readyz__/", max_results=1, timeout=self.timeout,
            retry=None)), None))

    def download_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        if self.signing_credentials is None:
            raise StorageError("no credentials to sign download URLs: set "
                               "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file "
                               "or GCS_SIGNING_SERVICE_ACCOUNT")
        seconds = max(1, min(int(expires_in), MAX_LINK_SECONDS))
        disposition = content_disposition(filename) if filename else None
        try:
            return self.bucket.blob(key).generate_signed_url(
                version="v4", expiration=timedelta(seconds=seconds), method="GET",
                credentials=self.signing_credentials, response_disposition=disposition)
        except Exception as exc:  # signing through IAM talks to the network
            raise StorageError(f"could not sign a download URL: {type(exc).__name__}") from exc


def _tunable(config: Any, name: str, default: float) -> Any:
    """An optional adapter setting: app config first, then the environment, then the default."""
    return config.get(name) or os.environ.get(name) or default


def signing_credentials_from_config(config: Any) -> Any:
    """Credentials that can sign: a service-account key file, or IAM signBlob as an account."""
    key_file = config.get("GOOGLE_APPLICATION_CREDENTIALS") or ""
    signer_email = config.get("GCS_SIGNING_SERVICE_ACCOUNT") or ""
    if signer_email:
        return iam_signing_credentials(signer_email)
    if key_file:
        return service_account.Credentials.from_service_account_file(
            key_file, scopes=[CLOUD_PLATFORM_SCOPE])
    return None


def iam_signing_credentials(signer_email: str, *, source_credentials: Any = None,
                            request: Any = None) -> Any:
    """Credentials whose ``sign_bytes`` calls IAM signBlob as ``signer_email``.

    The caller's own credentials (Application Default Credentials unless given) need the
    ``iam.serviceAccounts.signBlob`` permission on that account (Service Account Token Creator).
    """
    if source_credentials is None:
        source_credentials, _project = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
    signer = iam.Signer(request or Request(), source_credentials, signer_email)
    return service_account.Credentials(signer, signer_email,
                                       token_uri="https://oauth2.googleapis.com/token")  # noqa: S106 - a URL


def _size_and_md5(path: Path) -> tuple[int, str]:
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    with open(path, "rb") as src:
        while chunk := src.read(MiB):
            md5.update(chunk)
            size += len(chunk)
    return size, base64.b64encode(md5.digest()).decode("ascii")


def _info(blob: gcs.Blob) -> ObjectInfo:
    md5_hex = base64.b64decode(blob.md5_hash).hex() if blob.md5_hash else None
    return ObjectInfo(key=blob.name, size=int(blob.size or 0), updated=blob.updated,
                      content_type=blob.content_type, md5_hex=md5_hex)
