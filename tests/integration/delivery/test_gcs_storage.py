"""The GCS adapter against gcp-storage-emulator, through a proxy that injects failures."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs_client

from app.adapters.storage.base import StorageError, StorageNotFound
from app.adapters.storage.gcs import GCSStorage
from tests.integration.delivery.conftest import SMALL_CHUNK, gcs_settings


@pytest.fixture
def storage(gcs, signing_key) -> GCSStorage:
    return GCSStorage.from_config(gcs_settings(gcs, signing_key[1]))


def _stored_blob(gcs, key):
    """The object's metadata as GCS reports it (read straight from the emulator)."""
    client = gcs_client.Client(project="test", credentials=AnonymousCredentials(),
                               client_options={"api_endpoint": gcs.direct_endpoint})
    blob = client.bucket(gcs.bucket).get_blob(key)
    assert blob is not None, f"{key} is not stored"
    return blob


def _file(tmp_path, size: int):
    path = tmp_path / "video.mp4"
    data = os.urandom(size)
    path.write_bytes(data)
    return path, data


def test_small_file_is_stored_with_type_disposition_and_checksum(gcs, storage, tmp_path):
    path, data = _file(tmp_path, 10_000)
    info = storage.put_file("renders/u/j.mp4", path, content_type="video/mp4",
                            download_name="Björk: Jóga (live).mp4")
    assert info.size == len(data) and info.md5_hex == hashlib.md5(data).hexdigest()
    blob = _stored_blob(gcs, "renders/u/j.mp4")
    assert blob.content_type == "video/mp4"
    assert blob.content_disposition.startswith('attachment; filename="Bjork_ Joga (live).mp4"')
    assert blob.md5_hash == base64.b64encode(hashlib.md5(data).digest()).decode()
    assert blob.download_as_bytes() == data
    uploads = gcs.proxy.requests_matching("POST", "/upload/")
    assert [r.path.split("uploadType=")[1][:9] for r in uploads] == ["multipart"]


def test_large_file_goes_up_as_a_resumable_upload_in_chunks(gcs, storage, tmp_path):
    path, data = _file(tmp_path, 3 * SMALL_CHUNK + 1234)
    info = storage.put_file("renders/u/big.mp4", path, content_type="video/mp4",
                            download_name="Big.mp4")
    assert info.size == len(data)
    assert len(gcs.proxy.requests_matching("POST", "uploadType=resumable")) == 1
    chunks = gcs.proxy.requests_matching("PUT", "upload_id=")
    assert len(chunks) == 4  # three full chunks and the rest
    blob = _stored_blob(gcs, "renders/u/big.mp4")
    assert blob.content_type == "video/mp4"
    assert blob.content_disposition == 'attachment; filename="Big.mp4"'
    assert blob.download_as_bytes() == data


def test_server_errors_are_retried_inside_the_adapter(gcs, storage, tmp_path):
    path, data = _file(tmp_path, 2 * SMALL_CHUNK + 10)
    gcs.proxy.fail_next(2, status=503, method="PUT", path_contains="upload_id=")
    storage.put_file("renders/u/j.mp4", path, content_type="video/mp4")
    assert len(gcs.proxy.requests_matching("PUT", injected=True)) == 2
    assert _stored_blob(gcs, "renders/u/j.mp4").download_as_bytes() == data


def test_a_timeout_is_retried(gcs, signing_key, tmp_path):
    storage = GCSStorage.from_config(gcs_settings(gcs, signing_key[1], GCS_TIMEOUT_SECONDS=1.5))
    path, data = _file(tmp_path, 5000)
    gcs.proxy.fail_next(1, mode="timeout", method="POST", hold_seconds=2.5)  # past the timeout
    storage.put_file("renders/u/j.mp4", path, content_type="video/mp4")
    assert len(gcs.proxy.requests_matching("POST", "/upload/")) == 2
    assert _stored_blob(gcs, "renders/u/j.mp4").download_as_bytes() == data


def test_a_dropped_connection_is_retried(gcs, storage, tmp_path):
    path, data = _file(tmp_path, 5000)
    gcs.proxy.fail_next(1, mode="disconnect", method="POST")
    storage.put_file("renders/u/j.mp4", path, content_type="video/mp4")
    assert _stored_blob(gcs, "renders/u/j.mp4").download_as_bytes() == data


def test_persistent_failure_becomes_a_storage_error(gcs, storage, tmp_path):
    path, _ = _file(tmp_path, 5000)
    gcs.proxy.fail_next(10, status=500, method="POST")
    with pytest.raises(StorageError, match="after 3 attempts"):
        storage.put_file("renders/u/j.mp4", path, content_type="video/mp4")
    assert len(gcs.proxy.requests_matching("POST", injected=True)) == 3
    assert not storage.exists("renders/u/j.mp4")


def test_client_errors_are_not_retried(gcs, storage, tmp_path):
    path, _ = _file(tmp_path, 5000)
    gcs.proxy.fail_next(5, status=403, method="POST")
    with pytest.raises(StorageError):
        storage.put_file("renders/u/j.mp4", path, content_type="video/mp4")
    assert len(gcs.proxy.requests_matching("POST", injected=True)) == 1


def test_stat_download_list_delete(gcs, storage, tmp_path):
    path, data = _file(tmp_path, 1000)
    storage.put_file("uploads/u/j/audio.mp3", path, content_type="audio/mpeg")
    storage.put_file("renders/u/j.mp4", path, content_type="video/mp4")
    assert storage.stat("renders/u/j.mp4").size == 1000
    target = tmp_path / "copy.bin"
    storage.download_to("renders/u/j.mp4", target)
    assert target.read_bytes() == data
    assert [o.key for o in storage.list("uploads/")] == ["uploads/u/j/audio.mp3"]
    assert storage.delete("renders/u/j.mp4") is True
    assert storage.delete("renders/u/j.mp4") is False
    with pytest.raises(StorageNotFound):
        storage.stat("renders/u/j.mp4")
    with pytest.raises(StorageNotFound):
        storage.download_to("renders/u/j.mp4", tmp_path / "missing.bin")
    assert not (tmp_path / "missing.bin").exists()
    storage.check()


def test_signed_url_downloads_the_bytes_as_an_attachment(gcs, storage, tmp_path):
    path, data = _file(tmp_path, 20_000)
    storage.put_file("renders/u/j.mp4", path, content_type="video/mp4")
    url = storage.download_url("renders/u/j.mp4", expires_in=600, filename="Night Drive.mp4")
    assert url.startswith(gcs.endpoint + f"/{gcs.bucket}/renders/u/j.mp4?")
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Disposition"] == 'attachment; filename="Night Drive.mp4"'
