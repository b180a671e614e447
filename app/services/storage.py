"""The storage adapter the configuration picks (one per app)."""

from __future__ import annotations

from flask import Flask, current_app

from app.adapters.storage.base import Storage


def build_storage(app: Flask) -> Storage:
    backend = app.config["STORAGE_BACKEND"]
    if backend == "gcs":
        from app.adapters.storage.gcs import GCSStorage
        return GCSStorage.from_config(app.config)
    from app.adapters.storage.local import LocalStorage
    return LocalStorage(app.config["STORAGE_LOCAL_ROOT"])


def init_storage(app: Flask) -> None:
    from app.web.health import register_readiness_check
    app.extensions["storage"] = None  # built on first use: no I/O at start-up
    register_readiness_check(app, "storage", lambda: get_storage().check())


def get_storage() -> Storage:
    storage = current_app.extensions.get("storage")
    if storage is None:
        storage = build_storage(current_app)
        current_app.extensions["storage"] = storage
    return storage
