"""``Vary: Origin`` on every API answer when cross-origin clients are configured.

Flask-CORS sends the allowed origin back only to that origin, but adds ``Vary: Origin`` only
when more than one origin is configured: with one (the usual deployment), a shared cache could
keep the answer made for another origin -- without ``Access-Control-Allow-Origin`` -- and serve
it to the web app (``/templates`` is ``public, max-age=300``), which then fails its CORS check.
"""

from __future__ import annotations

from flask import Flask, current_app, request


def init_cors_vary(app: Flask) -> None:
    app.after_request(_vary_on_origin)


def _vary_on_origin(response):
    if current_app.config.get("CORS_ORIGINS") and request.path.startswith("/api/"):
        response.vary.add("Origin")
    return response
