"""Periodic tasks, enqueued by the workers' maintenance pass.

Each entry runs at most once per period across all workers (a Redis key set with NX and a
TTL of the period), so any number of worker replicas may run. The tasks themselves must also
be safe to run twice at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rq.utils import import_attribute

from app.extensions import get_redis, redis_client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicTask:
    func_path: str
    every_seconds: int


# The periodic tasks of the service (function paths, so this module imports nothing heavy).
PERIODIC_TASKS: list[PeriodicTask] = [
    PeriodicTask("app.tasks.retention.expire_renders", 15 * 60),
    PeriodicTask("app.tasks.maintenance.reconcile_renders", 60),
    PeriodicTask("app.tasks.maintenance.clean_render_temp_files", 3600),
    PeriodicTask("app.tasks.maintenance.delete_unpaid_render_uploads", 3600),
]


def enqueue_due_tasks(tasks: list[PeriodicTask] | None = None) -> list[str]:
    """Enqueue every periodic task whose period has elapsed; return the paths enqueued."""
    enqueued = []
    for entry in PERIODIC_TASKS if tasks is None else tasks:
        key = redis_client.key("periodic", entry.func_path)
        if not get_redis().set(key, "1", nx=True, ex=entry.every_seconds):
            continue
        func: Callable[..., Any] = import_attribute(entry.func_path)
        func.enqueue()
        enqueued.append(entry.func_path)
    if enqueued:
        log.info("periodic_tasks_enqueued", extra={"tasks": enqueued})
    return enqueued
