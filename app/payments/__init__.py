"""Paying for renders: Stripe Checkout per render (``checkout``), fulfilment of a paid payment
(``fulfilment``), refunds (``refunds`` and the automatic refund task), Stripe's webhooks
(``webhooks``), the payments blueprint and ``flask payments refund``."""

from __future__ import annotations

from flask import Flask

from app.payments.routes import bp
from app.web.docs import api


def init_app(app: Flask) -> None:
    api.register_blueprint(bp)
