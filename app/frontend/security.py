"""Headers of the web app's pages and assets.

The Content-Security-Policy allows scripts, styles, fonts, workers and API calls from this
origin only -- no ``unsafe-inline``, no ``eval`` -- images and media also from ``blob:`` (the
preview of the person's own files) and media from the video storage (signed GCS links).
``app.web.http`` only sets its generic policy when a response has none, so this one wins here.
Assets are revalidated on every load (``no-cache``): without a build step there is no hashed
file name to make a long cache lifetime safe.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app

GCS_PUBLIC_ORIGIN = "https://storage.googleapis.com"


def storage_origins(config: Mapping) -> list[str]:
    """Origins the finished videos are served from, besides this one."""
    if config.get("STORAGE_BACKEND") != "gcs":
        return []
    origins = [GCS_PUBLIC_ORIGIN]
    emulator = (config.get("STORAGE_EMULATOR_HOST") or "").rstrip("/")
    if emulator:
        origins.append(emulator if "://" in emulator else f"http://{emulator}")
    return origins


def content_security_policy(config: Mapping) -> str:
    media = " ".join(["'self'", "blob:", *storage_origins(config)])
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        f"media-src {media}",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def apply_headers(response):
    """After every response of the web app's blueprint (pages and assets)."""
    response.headers["Content-Security-Policy"] = current_app.extensions["frontend_csp"]
    response.headers.setdefault("Cache-Control", "no-cache")
    response.headers.setdefault("Permissions-Policy",
                                "camera=(), microphone=(), geolocation=(), payment=()")
    return response
