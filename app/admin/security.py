"""The Content-Security-Policy of every ``/admin`` response.

Stricter than the app's generic HTML policy where it matters: scripts only from this origin or
inline with this response's nonce (Flask-Admin's ``csp_nonce_generator`` puts it on every
``<script>`` and ``<link>`` it writes); no ``unsafe-inline`` script, no ``eval``, nothing from
another origin. Inline event handlers of Flask-Admin's templates are replaced by our overrides
(``templates/admin/actions.html``, ``templates/admin/model/layout.html``) and
``static/console.js``. Styles keep ``'unsafe-inline'``: Bootstrap, select2 and the date picker
write ``style`` attributes, which cannot run script.
"""

from __future__ import annotations

import secrets

from flask import g, request

PREFIX = "/admin"


def nonce() -> str:
    """One nonce per request (every tag of the page carries the same one)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def policy(script_nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{script_nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def apply_headers(response):
    """After every request under ``/admin`` (registered by ``app.admin.init_app``)."""
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = policy(nonce())
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response
