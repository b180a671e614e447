"""Object storage: Google Cloud Storage in production, local disk in the embedded default."""

from app.adapters.storage.base import ObjectInfo, Storage, StorageError, StorageNotFound

__all__ = ["ObjectInfo", "Storage", "StorageError", "StorageNotFound"]
