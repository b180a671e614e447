"""Flask-CORS for the API, with ``Vary: Origin`` and no work for requests that are not CORS.

- **``Vary: Origin`` on every API answer when cross-origin clients are configured.** Flask-CORS
  sends the allowed origin back only to that origin, but adds ``Vary: Origin`` only when more than
  one origin is configured: with one (the usual deployment), a shared cache could keep the answer
  made for another origin -- without ``Access-Control-Allow-Origin`` -- and serve it to the web
  app (``/templates`` is ``public, max-age=300``), which then fails its CORS check.
- **A request without an ``Origin`` header skips Flask-CORS.** Browsers send ``Origin`` on every
  cross-origin request, so one without it did not ask for CORS; Flask-CORS is configured not to
  answer those (``always_send=False``), and its hook (a path regex and a header evaluation) is
  not run for them at all.
"""

from __future__ import annotations

import functools

from flask import Flask, current_app, request

# Passed to Flask-CORS's init_app by the app factory, with the resources and headers.
CORS_OPTIONS = {"always_send": False}


def init_cors_vary(app: Flask) -> None:
    hooks = app.after_request_funcs.setdefault(None, [])
    for index, hook in enumerate(hooks):
        if getattr(hook, "__name__", "") == "cors_after_request":  # the one Flask-CORS added
            hooks[index] = _only_for_cors_requests(hook)
    app.after_request(_vary_on_origin)


def _only_for_cors_requests(cors_after_request):
    @functools.wraps(cors_after_request)
    def hook(response):
        if "HTTP_ORIGIN" not in request.environ:
            return response
        return cors_after_request(response)
    return hook


def _vary_on_origin(response):
    if current_app.config.get("CORS_ORIGINS") and request.path.startswith("/api/"):
        response.vary.add("Origin")
    return response
