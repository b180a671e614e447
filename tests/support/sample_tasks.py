"""Tiny tasks the worker process tests enqueue (importable by a worker started at the repo root)."""

from __future__ import annotations

import time

from app.extensions import get_redis, redis_client
from app.tasks.jobs import task


@task(queue="default", timeout=30, retries=0)
def record(label: str) -> str:
    get_redis().rpush(redis_client.key("sample", "order"), label)
    return label


@task(queue="default", timeout=60, retries=0)
def wait_for_release(release_key: str) -> str:
    """Runs until ``release_key`` exists in Redis (lets a test hold a job 'in progress')."""
    get_redis().set(redis_client.key("sample", "started"), "1")
    deadline = time.monotonic() + 50
    while not get_redis().exists(release_key):
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.05)
    return "released"


@task(queue="low", timeout=30, retries=0)
def tick() -> None:
    get_redis().incr(redis_client.key("sample", "ticks"))
