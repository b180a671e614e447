"""The storage interface every adapter implements."""

from __future__ import annotations

import abc
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

# Longest lifetime of a download link: the V4 signed-URL maximum (7 days).
MAX_LINK_SECONDS = 7 * 24 * 3600
DEFAULT_DOWNLOAD_STEM = "waveframe-video"
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9 ._()+,-]+")


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

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with ``prefix``; the number deleted.

        An empty prefix is refused: nothing deletes the whole store by accident.
        """
        if not prefix:
            raise ValueError("delete_prefix needs a non-empty prefix")
        return sum(1 for info in list(self.list(prefix)) if self.delete(info.key))

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except StorageNotFound:
            return False
        return True

    def check(self) -> None:
        """Raise when the backend is unusable (used by /readyz)."""
        next(iter(self.list("__readyz__/")), None)

    def download_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        """A URL that downloads the object without other credentials for ``expires_in`` seconds
        (at most ``MAX_LINK_SECONDS``), saved by the browser as ``filename``."""
        raise StorageError(f"the {self.name} storage does not issue download links")


def sanitise_filename(name: str | None, *, extension: str = ".mp4", max_length: int = 120) -> str:
    """A file name safe in a header and on any file system: ASCII letters, digits and a few
    punctuation marks, no path separators, quotes or control characters, ending in ``extension``.
    """
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii")
    if extension and text.lower().endswith(extension.lower()):
        text = text[: -len(extension)]
    text = _UNSAFE_FILENAME_CHARS.sub("_", re.sub(r"\s+", " ", text))
    text = re.sub(r"_+", "_", text).strip(" ._-")
    text = text[: max_length - len(extension)].rstrip(" ._-")
    return (text or DEFAULT_DOWNLOAD_STEM) + extension


def content_disposition(filename: str) -> str:
    """``attachment; filename="<sanitised>"`` plus the RFC 6266 UTF-8 form for non-ASCII names."""
    match = re.search(r"\.[A-Za-z0-9]{1,8}$", filename)
    safe = sanitise_filename(filename, extension=match.group(0).lower() if match else "")
    header = f'attachment; filename="{safe}"'
    unicode_name = "".join(ch for ch in unicodedata.normalize("NFC", filename)
                           if unicodedata.category(ch)[0] != "C" and ch not in '"\\/')
    if unicode_name and unicode_name != safe and not unicode_name.isascii():
        header += f"; filename*=UTF-8''{quote(unicode_name, safe='')}"
    return header
