"""Periodic tasks, enqueued by the workers' maintenance pass.

Each domain registers its own in its ``init_app`` (``register_periodic(app, task, every)``);
this module knows none of them. Each entry runs at most once per period across all workers (a
Redis key set with NX and a TTL of the period), so any number of worker replicas may run. The
tasks themselves must also be safe to run twice at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from app.extensions import get_redis, redis_client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicTask:
    task: Callable[..., Any]  # a function declared with @task
    every_seconds: int

    @property
    def func_path(self) -> str:
        return f"{self.task.__module__}.{self.task.__name__}"


def register_periodic(app: Flask, task: Callable[..., Any], every_seconds: int) -> None:
    """Run ``task`` (declared with ``@task``) every ``every_seconds`` on some worker."""
    app.extensions.setdefault("periodic_tasks", []).append(PeriodicTask(task, every_seconds))


def periodic_tasks(app: Flask | None = None) -> list[PeriodicTask]:
    return list((app or current_app).extensions.get("periodic_tasks", []))


def enqueue_due_tasks(tasks: list[PeriodicTask] | None = None) -> list[str]:
    """Enqueue every periodic task whose period has elapsed; return the paths enqueued."""
    enqueued = []
    for entry in periodic_tasks() if tasks is None else tasks:
        key = redis_client.key("periodic", entry.func_path)
        if not get_redis().set(key, "1", nx=True, ex=entry.every_seconds):
            continue
        entry.task.enqueue()
        enqueued.append(entry.func_path)
    if enqueued:
        log.info("periodic_tasks_enqueued", extra={"tasks": enqueued})
    return enqueued
