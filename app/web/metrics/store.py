"""Metrics kept in Redis: added to at record time by every process, read at scrape time.

One hash per family under ``<REDIS_KEY_PREFIX>metrics:<name>``. A counter's field is its label
values (a JSON list); a histogram's fields are its label values plus ``sum`` or a bucket's
``le``, the buckets stored uncumulated (one increment per observation, summed at scrape time).
Label sets are few and bounded, so the hashes need no expiry.

Recording is cheap and never raises: one pipelined round trip per observation, short socket
timeouts, and after a failure a pause during which observations are dropped (counted per
process in ``dropped``), so a Redis outage costs a request at most one timeout every
``PAUSE_SECONDS``.

The per-request HTTP observations (``record_soon``) are cheaper still: summed in the process and
added by a background thread every ``flush_seconds`` (``METRICS_FLUSH_SECONDS``, 0.5 s by
default) in one round trip, so a request never waits on Redis. A scrape flushes its own process
first; another process's last ``flush_seconds`` of requests may not be in it yet. A process
that exits flushes what it holds (``atexit``); one that is killed loses at most that much.
"""

from __future__ import annotations

import atexit
import functools
import json
import logging
import math
import os
import threading
import time
from collections.abc import Iterable, Sequence

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.web.metrics.families import COUNTER, RECORDED, Family

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.25
PAUSE_SECONDS = 10.0

Observation = tuple[Family, Sequence[str], float]  # family, label values, increment or value


def field(labels: Sequence[str], part: str | None = None) -> str:
    return _field(tuple(labels), part)


@functools.lru_cache(maxsize=4096)  # label sets are few and bounded (families.py)
def _field(labels: tuple[str, ...], part: str | None) -> str:
    return json.dumps([*labels, part] if part is not None else list(labels),
                      separators=(",", ":"))


class MetricStore:
    def __init__(self, url: str, key_prefix: str, *, timeout: float = TIMEOUT_SECONDS,
                 pause: float = PAUSE_SECONDS):
        # A client of its own: short timeouts and no retry, whatever the app's client does.
        self.redis = redis.Redis.from_url(url, socket_timeout=timeout,
                                          socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))
        self.key_prefix = key_prefix + "metrics:"
        self.pause = pause
        self.paused_until = 0.0
        self.dropped = 0
        self.flush_seconds = 0.0
        self._pending: dict[tuple[str, str], float] = {}
        self._pending_count = 0
        self._lock = threading.Lock()
        self._flusher_pid: int | None = None

    def key(self, family: Family) -> str:
        return self.key_prefix + family.name

    def record(self, observations: Iterable[Observation]) -> bool:
        """Add the observations in one round trip; False (and nothing raised) when they were lost."""
        observations = [o for o in observations if math.isfinite(o[2])]
        if not observations:
            return True
        now = time.monotonic()
        if now < self.paused_until:
            self.dropped += 1
            return False
        try:
            pipe = self.redis.pipeline(transaction=True)
            for family, labels, value in observations:
                key = self.key(family)
                if family.kind == COUNTER:
                    pipe.hincrbyfloat(key, field(labels), value)
                else:
                    pipe.hincrbyfloat(key, field(labels, family.bucket_of(value)), 1)
                    pipe.hincrbyfloat(key, field(labels, "sum"), value)
            pipe.execute()
            return True
        except Exception as exc:  # a metric must never break what it measures
            self.dropped += 1
            self.paused_until = time.monotonic() + self.pause
            log.warning("metrics_store_unavailable", extra={"error": type(exc).__name__,
                                                            "paused_seconds": self.pause})
            return False

    def _increments(self, observations: Iterable[Observation]):
        for family, labels, value in observations:
            key = self.key(family)
            if family.kind == COUNTER:
                yield key, field(labels), value
            else:
                yield key, field(labels, family.bucket_of(value)), 1
                yield key, field(labels, "sum"), value

    def record_soon(self, observations: Iterable[Observation]) -> None:
        """Add the observations at the next flush (at once when ``flush_seconds`` is 0)."""
        if self.flush_seconds <= 0:
            self.record(observations)
            return
        observations = [o for o in observations if math.isfinite(o[2])]
        if not observations:
            return
        with self._lock:
            for key, name, value in self._increments(observations):
                self._pending[key, name] = self._pending.get((key, name), 0.0) + value
            self._pending_count += 1
            if self._flusher_pid != os.getpid():  # first use in this process (after a fork too)
                self._flusher_pid = os.getpid()
                threading.Thread(target=self._flush_forever, name="metrics-flush",
                                 daemon=True).start()
                atexit.register(self.flush)

    def _flush_forever(self) -> None:
        pid = os.getpid()
        while self._flusher_pid == pid:
            time.sleep(self.flush_seconds)
            self.flush()

    def flush(self) -> bool:
        """Add what ``record_soon`` holds in one round trip; False when it was lost."""
        with self._lock:
            pending, count = self._pending, self._pending_count
            self._pending, self._pending_count = {}, 0
        if not pending:
            return True
        if time.monotonic() < self.paused_until:
            self.dropped += count
            return False
        try:
            pipe = self.redis.pipeline(transaction=False)
            for (key, name), value in pending.items():
                pipe.hincrbyfloat(key, name, value)
            pipe.execute()
            return True
        except Exception as exc:  # a metric must never break what it measures
            self.dropped += count
            self.paused_until = time.monotonic() + self.pause
            log.warning("metrics_store_unavailable", extra={"error": type(exc).__name__,
                                                            "paused_seconds": self.pause})
            return False

    def read(self, families: Sequence[Family] = RECORDED) -> dict[str, dict[str, float]]:
        """Every recorded series of ``families`` by name (raises when Redis cannot be read)."""
        pipe = self.redis.pipeline(transaction=False)
        for family in families:
            pipe.hgetall(self.key(family))
        values = pipe.execute()
        return {family.name: {k.decode(): float(v) for k, v in raw.items()}
                for family, raw in zip(families, values, strict=True)}

    def lengths(self, keys: Sequence[str]) -> list[int]:
        """``LLEN`` of each key, in one round trip (raises when Redis cannot be read)."""
        pipe = self.redis.pipeline(transaction=False)
        for key in keys:
            pipe.llen(key)
        return [int(n) for n in pipe.execute()]

    def clear(self, families: Sequence[Family] = RECORDED) -> None:
        self.redis.delete(*(self.key(family) for family in families))
