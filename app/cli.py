"""Flask CLI commands that are not tied to one blueprint."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import click
from flask import Flask
from flask.cli import with_appcontext

from app.accounts.cli import COMMANDS as ACCOUNT_COMMANDS
from app.delivery.cli import storage_cli
from app.payments.cli import COMMANDS as PAYMENT_COMMANDS
from app.renders.cli import COMMANDS as RENDER_COMMANDS

HEALTHY_HEARTBEAT_SECONDS = 120


@click.command("worker-health")
@with_appcontext
def worker_health_command() -> None:
    """Exit 0 when a worker is alive (recent heartbeat) or nothing is waiting; 1 otherwise."""
    from rq import Worker

    from app.extensions import get_redis
    from app.tasks.queues import all_queues

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
    from flask import current_app

    from app.tasks.worker import run_worker
    run_worker(current_app._get_current_object(), burst=burst)


def register_cli(app: Flask) -> None:
    app.cli.add_command(worker_health_command)
    app.cli.add_command(run_worker_command)
    for command in PAYMENT_COMMANDS:
        app.cli.add_command(command)
    for command in RENDER_COMMANDS:
        app.cli.add_command(command)
    app.cli.add_command(storage_cli)
    for command in ACCOUNT_COMMANDS:
        app.cli.add_command(command)
