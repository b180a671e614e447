"""A section of an admin page whose source could not be read shows as unavailable, never as a
500: ``read_section(name, reader)`` returns what ``reader()`` returns, or ``Unavailable``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import redis
from sqlalchemy.exc import SQLAlchemyError

from app.adapters.billing import BillingError
from app.adapters.storage import StorageError
from app.extensions import db

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Unavailable:
    """The marker a section carries instead of its data."""

    source: str  # redis | database | stripe | storage | ...
    reason: str  # a short sentence for the page (no secrets, no traceback)

    @property
    def unavailable(self) -> bool:  # lets a template test ``section.unavailable``
        return True


def _describe(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, redis.RedisError):
        return "redis", f"Redis cannot be reached ({type(exc).__name__})."
    if isinstance(exc, SQLAlchemyError):
        return "database", f"The database could not be read ({type(exc).__name__})."
    if isinstance(exc, BillingError):
        return "stripe", f"Stripe could not be asked ({type(exc).__name__})."
    if isinstance(exc, StorageError):
        return "storage", f"The storage could not be read ({type(exc).__name__})."
    return "unknown", f"This section could not be read ({type(exc).__name__})."


def read_section(name: str, reader: Callable[[], T]) -> T | Unavailable:
    """``reader()``, or ``Unavailable`` when any outside system it reads fails."""
    try:
        return reader()
    except Exception as exc:  # one broken source must not take the page down
        source, reason = _describe(exc)
        if source == "database":
            db.session.rollback()
        log.warning("admin_section_unavailable", extra={"section": name, "source": source,
                                                        "error_type": type(exc).__name__})
        return Unavailable(source, reason)
