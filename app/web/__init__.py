"""HTTP plumbing shared by every blueprint, with no domain rules: request ids, HTTPS, body checks,
security headers and the access log (``http``), integers JSON cannot convert (``json_numbers``),
``Vary: Origin`` for cross-origin API clients (``cors_vary``), the token guards (``auth``), what
a web process remembers of Redis until told it changed (``mirror``),
liveness, readiness and metrics (``health``, ``metrics``), the OpenAPI document and Swagger UI
(``docs``) and the schemas every API answer shares (``schemas``)."""

from __future__ import annotations

from flask import Flask

from app.web.cors_vary import init_cors_vary
from app.web.docs import init_docs
from app.web.health import init_health
from app.web.http import init_http
from app.web.metrics import init_metrics
from app.web.mirror import init_mirror


def init_app(app: Flask) -> None:
    init_http(app)
    init_mirror(app)
    init_cors_vary(app)
    init_docs(app)
    init_health(app)
    init_metrics(app)
