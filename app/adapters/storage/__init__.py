"""Object storage: Google Cloud Storage in production, local disk in the embedded default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.adapters.storage.base import ObjectInfo, Storage, StorageError, StorageNotFound
from app.adapters.storage.local import LocalStorage

__all__ = ["LocalStorage", "ObjectInfo", "Storage", "StorageError", "StorageNotFound", "build_storage"]


def build_storage(config: Mapping[str, Any]) -> Storage:
    if config["STORAGE_BACKEND"] == "gcs":
        # the Google Cloud client is heavy and only needed with STORAGE_BACKEND=gcs
        from app.adapters.storage.gcs import GCSStorage
        return GCSStorage.from_config(config)
    return LocalStorage(config["STORAGE_LOCAL_ROOT"])
