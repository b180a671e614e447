"""The worker's commands: ``flask worker-health`` and ``flask run-worker``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker

from app.extensions import get_redis
from app.tasks.queues import all_queues
from app.tasks.worker import run_worker

HEALTHY_HEARTBEAT_SECONDS = 120


@click.command("worker-health")
@with_appcontext
def worker_health_command() -> None:
    """Exit 0 when a worker is alive (recent heartbeat) or nothing is waiting; 1 otherwise."""
    workers = Worker.all(connection=get_redis())
    now = datetime.now(UTC)
    alive = [w for w in workers if w.last_heartbeat and
             now - w.last_heartbeat.replace(tzinfo=UTC) < timedelta(seconds=HEALTHY_HEARTBEAT_SECONDS)]
    waiting = sum(q.count for q in all_queues())
    click.echo(f"workers alive: {len(alive)}/{len(workers)}, jobs waiting: {waiting}")
    if not alive and waiting:
        click.echo("unhealthy: jobs are waiting and no worker has a recent heartbeat", err=True)
        sys.exit(1)


@click.command("run-worker")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@with_appcontext
def run_worker_command(burst: bool) -> None:
    """Run an RQ worker on the high, default and low queues (same as ``python worker.py``)."""
    run_worker(current_app._get_current_object(), burst=burst)


COMMANDS = (worker_health_command, run_worker_command)
