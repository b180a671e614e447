"""Local-disk storage for the embedded default: objects are files under one root folder.

The root lives in ``instance/storage/``, outside any static folder: nothing is served from it
except through the signed download route (``app/delivery/routes.py``), whose links carry an
itsdangerous-signed token naming the object, the file name and the expiry instant.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from app.adapters.storage.base import (
    MAX_LINK_SECONDS,
    ObjectInfo,
    Storage,
    StorageError,
    StorageNotFound,
)

META_SUFFIX = ".meta.json"
DOWNLOAD_TOKEN_SALT = "waveframe.local-download"  # noqa: S105 - a salt, not a secret
DOWNLOAD_ENDPOINT = "downloads.local_file"  # the Flask route serving signed local downloads


class InvalidDownloadToken(Exception):
    """The token was not signed by us or was altered."""


class ExpiredDownloadToken(Exception):
    """The token is genuine but its lifetime is over."""


@dataclass(frozen=True)
class DownloadGrant:
    key: str
    filename: str | None
    expires_at: int  # Unix seconds


def make_download_token(secret: str, key: str, *, expires_at: int,
                        filename: str | None = None) -> str:
    return URLSafeSerializer(secret, salt=DOWNLOAD_TOKEN_SALT).dumps(
        {"k": key, "f": filename, "e": int(expires_at)})


def read_download_token(secret: str, token: str, *, now: float | None = None) -> DownloadGrant:
    """The grant a token carries; raises InvalidDownloadToken or ExpiredDownloadToken."""
    try:
        payload = URLSafeSerializer(secret, salt=DOWNLOAD_TOKEN_SALT).loads(token)
        grant = DownloadGrant(key=str(payload["k"]), filename=payload.get("f"),
                              expires_at=int(payload["e"]))
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidDownloadToken from exc
    if (time.time() if now is None else now) >= grant.expires_at:
        raise ExpiredDownloadToken
    return grant


class LocalStorage(Storage):
    name = "local"

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def path_for(self, key: str) -> Path:
        if not key or key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in key.split("/")):
            raise StorageError(f"invalid object key {key!r}")
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(f"invalid object key {key!r}")
        return path

    def _meta_path(self, key: str) -> Path:
        path = self.path_for(key)
        return path.with_name(path.name + META_SUFFIX)

    def put_file(self, key: str, path: Path, *, content_type: str,
                 download_name: str | None = None) -> ObjectInfo:
        target = self.path_for(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        md5 = hashlib.md5(usedforsecurity=False)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                while chunk := src.read(1024 * 1024):
                    md5.update(chunk)
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        meta = {"content_type": content_type, "download_name": download_name,
                "md5_hex": md5.hexdigest()}
        self._meta_path(key).write_text(json.dumps(meta))
        return self.stat(key)

    def download_to(self, key: str, path: Path) -> Path:
        source = self.path_for(key)
        if not source.is_file():
            raise StorageNotFound(key)
        shutil.copyfile(source, path)
        return Path(path)

    def metadata(self, key: str) -> dict:
        meta_path = self._meta_path(key)
        return json.loads(meta_path.read_text()) if meta_path.is_file() else {}

    def stat(self, key: str) -> ObjectInfo:
        path = self.path_for(key)
        try:
            st = path.stat()
        except FileNotFoundError as exc:
            raise StorageNotFound(key) from exc
        meta = self.metadata(key)
        return ObjectInfo(key=key, size=st.st_size,
                          updated=datetime.fromtimestamp(st.st_mtime, UTC),
                          content_type=meta.get("content_type"), md5_hex=meta.get("md5_hex"))

    def delete(self, key: str) -> bool:
        path = self.path_for(key)
        self._meta_path(key).unlink(missing_ok=True)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def _folder(self, prefix: str) -> Path | None:
        """The deepest folder every key starting with ``prefix`` lives in (None: no such key)."""
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        if not folder:
            return self.root
        try:
            return self.path_for(folder)
        except StorageError:
            return None

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        start = self._folder(prefix)
        if start is None or not start.is_dir():
            return
        for dirpath, _dirs, files in os.walk(start):
            for name in sorted(files):
                if name.endswith(META_SUFFIX) or name.startswith(".upload-"):
                    continue
                key = str((Path(dirpath) / name).relative_to(self.root))
                if key.startswith(prefix):
                    try:
                        yield self.stat(key)
                    except StorageNotFound:
                        continue  # deleted while listing

    def delete_prefix(self, prefix: str) -> int:
        """Delete the objects under ``prefix``; a prefix ending in ``/`` is a folder of its own,
        removed too once empty (folders above it may be in use by a concurrent write)."""
        deleted = super().delete_prefix(prefix)
        top = self._folder(prefix) if prefix.endswith("/") else None
        if top is not None and top != self.root and top.is_dir():
            for dirpath, _dirs, _files in os.walk(top, topdown=False):
                with contextlib.suppress(OSError):  # not empty: something arrived meanwhile
                    os.rmdir(dirpath)
        return deleted

    def download_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        """A link to the app's signed download route (absolute: FRONTEND_URL outside requests)."""
        if not self.path_for(key).is_file():
            raise StorageNotFound(key)
        seconds = max(1, min(int(expires_in), MAX_LINK_SECONDS))
        token = make_download_token(current_app.config["SECRET_KEY"], key, filename=filename,
                                    expires_at=int(time.time()) + seconds)
        if has_request_context():
            return url_for(DOWNLOAD_ENDPOINT, token=token, _external=True)
        base = urlsplit(current_app.config["FRONTEND_URL"])
        adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                           url_scheme=base.scheme or "http")
        return adapter.build(DOWNLOAD_ENDPOINT, {"token": token}, force_external=True)

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"storage root {self.root} is not writable")
