"""What the queues and workers look like right now (read from Redis; raises ``redis.RedisError``
when it cannot be reached)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rq import Worker

from app.extensions import get_redis
from app.tasks.queues import QUEUE_NAMES, get_queue


@dataclass(frozen=True)
class WorkerStatus:
    name: str
    state: str  # idle | busy | suspended | started
    queues: tuple[str, ...]
    last_heartbeat: datetime | None
    current_job_id: str | None


def queue_depths() -> dict[str, int]:
    """Jobs waiting on each queue, in priority order."""
    return {name: get_queue(name).count for name in QUEUE_NAMES}


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def worker_statuses() -> list[WorkerStatus]:
    """Every registered worker, by name."""
    workers = Worker.all(connection=get_redis())
    return sorted((WorkerStatus(name=w.name, state=str(w.get_state()),
                                queues=tuple(w.queue_names()),
                                last_heartbeat=_utc(w.last_heartbeat),
                                current_job_id=w.get_current_job_id())
                   for w in workers), key=lambda w: w.name)
