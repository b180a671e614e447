"""Storage usage: total bytes and object counts by prefix, on both adapters."""

from __future__ import annotations

import pytest

from app.services.storage import get_storage
from app.services.storage_usage import storage_usage


def _put(tmp_path, key: str, size: int) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"x" * size)
    get_storage().put_file(key, path, content_type="application/octet-stream")


@pytest.fixture(params=["local", "gcs"])
def any_storage(request):
    if request.param == "local":
        return request.getfixturevalue("local_storage")
    request.getfixturevalue("gcs_app")
    return get_storage()


def test_usage_by_prefix(any_storage, tmp_path):
    assert storage_usage() == {"total_bytes": 0, "total_objects": 0, "by_prefix": {}}
    _put(tmp_path, "uploads/u1/j1/audio.mp3", 100)
    _put(tmp_path, "uploads/u1/j1/background.png", 20)
    _put(tmp_path, "renders/u1/j1.mp4", 1000)
    assert storage_usage() == {
        "total_bytes": 1120, "total_objects": 3,
        "by_prefix": {"renders/": {"objects": 1, "bytes": 1000},
                      "uploads/": {"objects": 2, "bytes": 120}}}
    assert storage_usage("renders/")["total_bytes"] == 1000
