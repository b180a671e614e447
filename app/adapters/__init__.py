"""The outside world behind small interfaces: storage, billing, email.

Each has a real implementation and an embedded/local one. ``init_app`` (called by
``create_app``) chooses each one from the configuration, once, and keeps the choice in one
registry (``app.extensions["adapters"]``); ``get_storage()``, ``get_billing()`` and
``get_mailer()`` read it, so nothing else in the code knows which is in use. ``install(app,
storage=..., billing=..., mailer=...)`` puts other implementations in (the in-memory twins of
the unit tests). The storage is built on first use: creating the app does no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from app.adapters.billing import Billing, build_billing
from app.adapters.email import EmailAdapter, build_mailer
from app.adapters.storage import Storage, build_storage

log = logging.getLogger(__name__)

__all__ = ["AdapterRegistry", "get_billing", "get_mailer", "get_storage", "init_app", "install"]


@dataclass
class AdapterRegistry:
    build_storage: Callable[[], Storage]
    billing: Billing
    mailer: EmailAdapter
    storage: Storage | None = None

    def get_storage(self) -> Storage:
        if self.storage is None:
            self.storage = self.build_storage()
        return self.storage


def init_app(app: Flask) -> None:
    """Choose the adapters from ``app.config`` (again, when called again after a change)."""
    config = app.config
    registry = AdapterRegistry(build_storage=lambda: build_storage(config),
                               billing=build_billing(config), mailer=build_mailer(config))
    app.extensions["adapters"] = registry
    if not registry.billing.enabled:
        log.warning("payments_disabled", extra={
            "reason": "STRIPE_SECRET_KEY is not set",
            "effect": "renders are queued without payment; checkout answers 409"})
    else:
        log.info("payments_enabled", extra={"provider": registry.billing.name,
                                            "api_base": config.get("STRIPE_API_BASE") or None})


def install(app: Flask, *, storage: Storage | None = None, billing: Billing | None = None,
            mailer: EmailAdapter | None = None) -> AdapterRegistry:
    """Replace some adapters of ``app`` (tests put in-memory twins this way)."""
    registry: AdapterRegistry = app.extensions["adapters"]
    if storage is not None:
        registry.storage = storage
    if billing is not None:
        registry.billing = billing
    if mailer is not None:
        registry.mailer = mailer
    return registry


def _registry() -> AdapterRegistry:
    return current_app.extensions["adapters"]


def get_storage() -> Storage:
    return _registry().get_storage()


def get_billing() -> Billing:
    return _registry().billing


def get_mailer() -> EmailAdapter:
    return _registry().mailer
