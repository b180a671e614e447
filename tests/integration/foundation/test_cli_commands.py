"""The commands the README promises: each is registered, and ``flask run-worker`` and
``flask db upgrade`` / ``downgrade`` really do their work (run as an operator runs them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from rq.job import Job
from sqlalchemy import create_engine, inspect, text

from app.extensions import redis_client
from app.tasks.queues import all_queues
from tests.support import sample_tasks
from tests.support.services import create_database, drop_database
from tests.support.worker_process import worker_env

ROOT = Path(__file__).resolve().parents[3]
TABLES = {"users", "password_reset_tokens", "render_jobs", "payments", "stripe_events",
          "email_deliveries", "alembic_version"}


@pytest.mark.parametrize("command", [["render"], ["create-admin"], ["users", "disable"],
                                     ["payments", "refund"], ["storage", "usage"], ["worker-health"],
                                     ["run-worker"], ["db", "upgrade"], ["db", "downgrade"]])
def test_command_is_registered(runner, command):
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def flask(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)


def test_run_worker_burst_performs_the_queued_jobs_in_priority_order_then_exits(app, redis_conn):
    low = sample_tasks.record.enqueue("low", queue="low")
    high = sample_tasks.record.enqueue("high", queue="high")
    result = flask("run-worker", "--burst", env=worker_env(app))
    assert result.returncode == 0, result.stderr[-3000:]
    order = [v.decode() for v in redis_conn.lrange(redis_client.key("sample", "order"), 0, -1)]
    assert order == ["high", "low"]
    for job in (low, high):
        assert Job.fetch(job.id, connection=redis_conn).get_status() == "finished"
    assert sum(queue.count for queue in all_queues()) == 0  # burst: nothing left, then it exited


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _revision(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'waveframe.db'}"
        return
    url = create_database(suffix="_cli")
    yield url
    drop_database(url)


def test_db_upgrade_creates_the_schema_on_an_empty_database_and_downgrade_removes_it(
        app, empty_database):
    env = worker_env(app, DATABASE_URL=empty_database)
    assert _tables(empty_database) == set()
    upgraded = flask("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    assert TABLES <= _tables(empty_database)
    assert _revision(empty_database) == ScriptDirectory(str(ROOT / "migrations")).get_current_head()

    downgraded = flask("db", "downgrade", "base", env=env)
    assert downgraded.returncode == 0, downgraded.stderr[-3000:]
    assert _tables(empty_database) <= {"alembic_version"}
