"""The three RQ queues, listened to in priority order by every worker."""

from __future__ import annotations

from rq import Queue

from app.extensions import get_redis

HIGH, DEFAULT, LOW = "high", "default", "low"
QUEUE_NAMES: tuple[str, ...] = (HIGH, DEFAULT, LOW)


def get_queue(name: str = DEFAULT) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}; expected one of {QUEUE_NAMES}")
    return Queue(name, connection=get_redis())


def all_queues() -> list[Queue]:
    return [get_queue(name) for name in QUEUE_NAMES]
