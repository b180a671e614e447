"""The storage interface every adapter implements."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


class StorageError(Exception):
    """The storage backend failed (network, 5xx, timeout): worth retrying."""


class StorageNotFound(StorageError):
    """No object at that key."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    updated: datetime | None = None
    content_type: str | None = None
    md5_hex: str | None = None


class Storage(abc.ABC):
    name: str

    @abc.abstractmethod
    def put_file(self, key: str, path: Path, *, content_type: str,
                 download_name: str | None = None) -> ObjectInfo:
        """Store the file at ``path`` under ``key``; ``download_name`` sets Content-Disposition."""

    @abc.abstractmethod
    def download_to(self, key: str, path: Path) -> Path:
        """Copy the object to ``path`` (raises StorageNotFound)."""

    @abc.abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Size and metadata of the object (raises StorageNotFound)."""

    @abc.abstractmethod
    def delete(self, key: str) -> bool:
        """Delete the object; False when it was already gone."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``."""

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except StorageNotFound:
            return False
        return True

    def check(self) -> None:
        """Raise when the backend is unusable (used by /readyz)."""
        next(iter(self.list("__readyz__/")), None)
