"""The person's web app: page shells served by Flask, everything else static (no build step).

Pages are plain HTML shells (``templates/frontend/``) that load one ES module each from
``static/js/pages/``; the modules talk only to the JSON API under ``/api/v1``. The live preview
imports the worker's own visualizer modules from ``/static/visualizer/``. Every response of this
blueprint carries the app's Content-Security-Policy (``security.py``): no inline script, no
inline style, nothing from another origin but the video storage.
"""

from __future__ import annotations

from flask import Flask

from app.frontend.routes import bp
from app.frontend.security import content_security_policy


def init_app(app: Flask) -> None:
    app.extensions["frontend_csp"] = content_security_policy(app.config)
    app.register_blueprint(bp)
