"""What every authenticated request needs to know about the token's account, cached briefly.

A token is refused when its account is disabled or the token was issued before the account's
``tokens_valid_after`` (password change or reset, disable, log out everywhere). Reading those two
columns was one SQL statement per request; they change rarely, so each process keeps them for at
most ``ACCOUNT_STATE_CACHE_SECONDS`` (default 1 s; 0 turns the cache off):

- a change committed through the ORM in this process (every place that changes them does so)
  drops the cached entry at flush and again at commit, so this process sees it at once;
- another process (the other gunicorn workers, ``flask users disable`` from a shell) sees it
  within ``ACCOUNT_STATE_CACHE_SECONDS``: the bound within which a disable or a password change
  takes effect everywhere (tests/integration/accounts/test_account_state_cache.py).

The blocklist of revoked token ids stays in Redis and is checked on every request, uncached.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import User

WATCHED = ("is_active", "tokens_valid_after")
MAX_ENTRIES = 10_000
_REQUEST_KEY = "waveframe.account_states"
_CHANGED_KEY = "waveframe.account_states_changed"


@dataclass(frozen=True)
class AccountState:
    """The columns of ``users`` the token checks read."""

    user_id: uuid.UUID
    is_active: bool
    tokens_valid_after: datetime | None


class AccountStateCache:
    """user id -> (monotonic expiry, state or None for no such user); thread-safe, bounded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[uuid.UUID, tuple[float, AccountState | None]] = {}

    def get(self, user_id: uuid.UUID) -> tuple[bool, AccountState | None]:
        entry = self._entries.get(user_id)
        if entry is None or entry[0] <= time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, user_id: uuid.UUID, state: AccountState | None, ttl: float) -> None:
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[user_id] = (time.monotonic() + ttl, state)

    def forget(self, user_ids) -> None:
        with self._lock:
            for user_id in user_ids:
                self._entries.pop(user_id, None)


# One per process: the ORM events that invalidate it are process-wide too.
cache = AccountStateCache()


def _read(user_id: uuid.UUID) -> AccountState | None:
    row = db.session.execute(
        sa.select(User.is_active, User.tokens_valid_after).where(User.id == user_id)).first()
    return None if row is None else AccountState(user_id, bool(row.is_active), row.tokens_valid_after)


def account_state(user_id: uuid.UUID) -> AccountState | None:
    """The account's state (None: no such account), from this request, the cache or the database."""
    per_request = request.environ.setdefault(_REQUEST_KEY, {}) if has_request_context() else {}
    if user_id in per_request:
        return per_request[user_id]
    ttl = float(current_app.config.get("ACCOUNT_STATE_CACHE_SECONDS", 1.0))
    found, state = cache.get(user_id) if ttl > 0 else (False, None)
    if not found:
        state = _read(user_id)
        if ttl > 0:
            cache.put(user_id, state, ttl)
    per_request[user_id] = state
    return state


def _changed_users(session: Session) -> set[uuid.UUID]:
    changed = set()
    for obj in session.deleted:
        if isinstance(obj, User) and obj.id is not None:
            changed.add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, User) and obj.id is not None:
            attrs = sa.inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in WATCHED):
                changed.add(obj.id)
    return changed


def _before_flush(session: Session, _context, _instances) -> None:
    changed = _changed_users(session)
    if changed:
        cache.forget(changed)  # now, so this process never serves the old state past the flush
        session.info.setdefault(_CHANGED_KEY, set()).update(changed)


def _after_commit(session: Session) -> None:
    # Again after the commit: a request of this process may have read (and cached) the old row
    # between the flush and the commit.
    changed = session.info.pop(_CHANGED_KEY, None)
    if changed:
        cache.forget(changed)


def _after_rollback(session: Session) -> None:
    changed = session.info.pop(_CHANGED_KEY, None)
    if changed:
        cache.forget(changed)


_listening = False


def init_account_state(app: Flask) -> None:
    global _listening
    app.config.setdefault("ACCOUNT_STATE_CACHE_SECONDS", 1.0)
    if not _listening:  # process-wide, once (tests create many apps)
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_rollback(session))
        _listening = True
