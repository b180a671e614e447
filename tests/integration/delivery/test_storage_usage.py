"""Storage usage: total bytes and object counts by prefix, on both adapters."""

from __future__ import annotations

import json

import pytest

from app.adapters import get_storage
from app.delivery.storage_usage import storage_usage


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


def test_delete_prefix_removes_that_prefix_and_nothing_else(any_storage, tmp_path):
    kept = ["uploads/u1/j10/audio.mp3", "uploads/u1/j1.txt", "renders/u1/j10.mp4", "renders/u2/j1.mp4"]
    doomed = ["uploads/u1/j1/audio.mp3", "uploads/u1/j1/cover.png", "uploads/u1/j1/sub/logo.png"]
    for key in kept + doomed + ["renders/u1/j1.mp4"]:
        _put(tmp_path, key, 10)
    assert any_storage.delete_prefix("uploads/u1/j1/") == 3
    assert any_storage.delete_prefix("renders/u1/j1.") == 1
    assert any_storage.delete_prefix("uploads/u1/j1/") == 0  # nothing left: nothing to do
    assert sorted(o.key for o in any_storage.list("")) == sorted(kept)
    with pytest.raises(ValueError):
        any_storage.delete_prefix("")  # never the whole store
    assert len(list(any_storage.list(""))) == len(kept)


def test_storage_usage_command_prints_the_totals(local_storage, runner, tmp_path):
    _put(tmp_path, "uploads/u1/j1/audio.mp3", 2048)
    _put(tmp_path, "renders/u1/j1.mp4", 3 * 1024 * 1024)
    result = runner.invoke(args=["storage", "usage"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "total: 2 objects, 3.0 MiB"
    assert lines[1].split() == ["renders/", "1", "objects", "3.0", "MiB"]
    assert lines[2].split() == ["uploads/", "1", "objects", "2.0", "KiB"]
    as_json = runner.invoke(args=["storage", "usage", "uploads/", "--json"])
    assert json.loads(as_json.output) == {"total_bytes": 2048, "total_objects": 1,
                                          "by_prefix": {"uploads/": {"objects": 1, "bytes": 2048}}}
