"""Answers read from Redis, remembered in this process until a message says they changed.

The hottest request, a status poll, needs two things that live in Redis: whether its token was
revoked (the blocklist) and the job's kept answer (app/renders/status_cache.py). One Redis round
trip is cheap in CPU, but under gunicorn's threads a request that waits on a socket hands the
interpreter to another thread and back: on this 2-core machine a single round trip took a bare
Flask hello-world from 5,400 to 3,300 answers a second (``bench/README``/RELIABILITY "Load").
So each web process keeps what it read, and every change is announced:

- **What changes announces itself.** Revoking tokens (``app.accounts.tokens.revoke_claims``) and
  forgetting a job's kept answer (``status_cache.forget``, after every commit that touched the
  job) publish the keys on one Redis channel (``<REDIS_KEY_PREFIX>changed:<db>``) in the same
  pipeline as the writes themselves (:meth:`Mirror.announce`: never a write without its message),
  then drop the entries in this process (:meth:`Mirror.dropped`); every web process listens to
  the channel from a thread of its own.
- **Nothing is trusted without a live listener.** An entry is used only while this process's
  listener is subscribed and has heard from Redis within ``TRUST_SECONDS`` (it pings every
  ``PING_SECONDS``). When the connection drops or goes quiet, everything remembered is dropped
  and requests ask Redis again (and fail closed while it is away, as before); after it
  subscribes again, memory starts empty.
- **No read older than a change is kept.** A reader takes a :class:`Ticket` before it reads
  Redis or the database; :meth:`Mirror.put` stores nothing if any change message arrived (or the
  listener came or went) since that ticket.
- Entries live at most their own ``seconds`` and at most ``MAX_ENTRIES`` are kept.

What this costs: a change made by another process applies here when its message arrives
(pub/sub delivery on the same Redis: about a millisecond), not at the next request; a change
made by this process applies at once. ``LOCAL_MIRROR=0`` turns the memory off (every request
asks Redis, as before; changes are still announced, for processes that have it on).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)

PING_SECONDS = 0.25
TRUST_SECONDS = 1.0
MAX_ENTRIES = 20_000
MISSING = object()


@dataclass(frozen=True)
class Ticket:
    epoch: int
    seq: int


class Mirror:
    def __init__(self, connection: redis.Redis, channel: str, *, enabled: bool = True):
        self._redis = connection
        self.channel = channel
        self.enabled = enabled  # off: nothing is remembered, changes are still announced
        self._entries: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()
        self._epoch = 0  # moves when the listener subscribes or loses Redis
        self._seq = 0  # moves with every change heard or made here
        self._subscribed = False
        self._heard_at = 0.0
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- reading ------------------------------------------------------------------------------

    def live(self) -> bool:
        return self._subscribed and time.monotonic() - self._heard_at < TRUST_SECONDS

    def get(self, key: str):
        """The remembered value, or MISSING (also whenever the listener is not live)."""
        if not self.enabled:
            return MISSING
        self._ensure_listening()
        if not self.live():
            return MISSING
        found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            return MISSING
        return found[1]

    def ticket(self) -> Ticket:
        """Take before reading what will be put: a change heard meanwhile voids the put."""
        return Ticket(self._epoch, self._seq)

    def put(self, key: str, value, ticket: Ticket, seconds: float) -> bool:
        if seconds <= 0:
            return False
        with self._lock:
            if ticket != Ticket(self._epoch, self._seq) or not self.live():
                return False
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))  # the oldest
            self._entries[key] = (time.monotonic() + seconds, value)
        return True

    # -- changing ----------------------------------------------------------------------------

    def changed(self, keys: list[str]) -> None:
        """Drop ``keys`` here now and have every other process drop them (best effort: a
        process that misses the message has lost its connection and so trusts nothing). A
        change written to Redis should rather announce itself in the same pipeline
        (:meth:`announce`), so the write never lands without its message."""
        if not keys:
            return
        try:
            self._redis.publish(self.channel, "\n".join(keys))
        except redis.RedisError:
            log.warning("mirror_publish_failed", extra={"keys": len(keys)})
        self.dropped(keys)

    def announce(self, pipe, keys: list[str]) -> None:
        """Queue the message on ``pipe``, after the writes it announces; call :meth:`dropped`
        once the pipeline has run (or failed)."""
        if keys:
            pipe.publish(self.channel, "\n".join(keys))

    def dropped(self, keys: list[str]) -> None:
        """This process forgets ``keys`` now (the others when the announced message arrives)."""
        if keys:
            self._drop(keys)

    def _drop(self, keys) -> None:
        with self._lock:
            self._seq += 1
            for key in keys:
                self._entries.pop(key, None)

    # -- listening ---------------------------------------------------------------------------

    def _ensure_listening(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # after a fork: the parent's thread and memory are not ours
            self._start_over(subscribed=False)
            self._stopping = threading.Event()
            self._thread = threading.Thread(target=self._listen, name="mirror-listener",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._go_dark()

    def _go_dark(self) -> None:
        with self._lock:
            self._start_over(subscribed=False)

    def _start_over(self, *, subscribed: bool) -> None:
        """Forget everything and void every ticket taken so far (the caller holds the lock)."""
        self._entries.clear()
        self._epoch += 1
        self._subscribed = subscribed

    def _listen(self) -> None:
        backoff = PING_SECONDS
        while not self._stopping.is_set():
            pubsub = self._redis.pubsub()
            try:
                pubsub.subscribe(self.channel)
                pinged = 0.0
                while not self._stopping.is_set():
                    now = time.monotonic()
                    if now - pinged >= PING_SECONDS:
                        pubsub.ping()
                        pinged = now
                    message = pubsub.get_message(timeout=PING_SECONDS)
                    if message is None:
                        continue
                    self._heard(message)
                    backoff = PING_SECONDS
            except Exception as exc:  # the listener must outlive any failure
                # (redis-py can raise a TypeError on a socket Redis closed while it polled it)
                if self._subscribed:
                    log.warning("mirror_listener_lost_redis", extra={"error": type(exc).__name__})
                self._go_dark()
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):  # closing a broken connection
                    pubsub.close()
        self._go_dark()

    def _heard(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            with self._lock:
                self._heard_at = time.monotonic()
                self._start_over(subscribed=True)
            return
        if kind == "message":
            data = message.get("data") or b""
            self._drop(data.decode("utf-8", "replace").split("\n"))
        self._heard_at = time.monotonic()


def init_mirror(app: Flask) -> None:
    connection = app.extensions["redis"]
    # Channels are server-wide, not per database: the database is part of the name.
    database = connection.connection_pool.connection_kwargs.get("db", 0)
    channel = f"{app.config['REDIS_KEY_PREFIX']}changed:{database}"
    app.extensions["mirror"] = Mirror(connection, channel,
                                      enabled=bool(app.config.get("LOCAL_MIRROR", True)))


def mirror() -> Mirror:
    """This app's mirror (with ``LOCAL_MIRROR=0`` it remembers nothing but still announces)."""
    return current_app.extensions["mirror"]

