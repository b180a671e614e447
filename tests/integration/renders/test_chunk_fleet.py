"""A chunked render is split for the workers that will take it: the RQ workers listening on its
queue when it is planned (real Redis registrations), or ``RENDER_CHUNK_WORKERS``."""

from __future__ import annotations

import uuid

import pytest
import redis
from rq import Worker

from app.extensions import get_redis
from app.renders.chunking import fleet_size
from app.tasks.queues import get_queue


@pytest.fixture
def registered(app_ctx):
    made: list[Worker] = []

    def register(*queues: str) -> Worker:
        worker = Worker([get_queue(q) for q in queues], connection=get_redis(),
                        name=f"fleet-{uuid.uuid4().hex[:8]}")
        worker.register_birth()
        made.append(worker)
        return worker

    yield register
    for worker in made:
        worker.register_death()


def test_the_fleet_is_the_workers_listening_on_the_render_queue(app, registered, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_CHUNK_WORKERS", 0)
    before = Worker.count(queue=get_queue("default"))
    assert fleet_size("default") == max(1, before)
    for _ in range(3):
        registered("high", "default", "low")
    registered("high")  # listens elsewhere: not part of this render's fleet
    assert fleet_size("default") == before + 3
    assert fleet_size("high") >= 4


def test_a_configured_fleet_wins_and_a_silent_redis_means_one(app, registered, monkeypatch):
    registered("default")
    monkeypatch.setitem(app.config, "RENDER_CHUNK_WORKERS", 6)
    assert fleet_size("default") == 6
    monkeypatch.setitem(app.config, "RENDER_CHUNK_WORKERS", 0)

    def unreachable(cls, **kwargs):
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(Worker, "count", classmethod(unreachable))
    assert fleet_size("default") == 1
