"""The person's web app: page shells served by Flask, everything else static (no build step).

Pages are plain HTML shells (``templates/frontend/``) that load one ES module each from
``static/js/pages/``; the modules talk only to the JSON API under ``/api/v1``. The live preview
imports the worker's own visualizer modules from ``/static/visualizer/``. Every response of this
blueprint carries the app's Content-Security-Policy (``security.py``): no inline script, no
inline style, nothing from another origin but the video storage.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from app.frontend.security import apply_headers, content_security_policy

bp = Blueprint("frontend", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")
bp.after_request(apply_headers)


def init_app(app: Flask) -> None:
    from app.frontend import routes  # noqa: F401  (attach the page routes to bp)

    app.extensions["frontend_csp"] = content_security_policy(app.config)
    app.register_blueprint(bp)
