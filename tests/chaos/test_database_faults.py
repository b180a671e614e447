"""PostgreSQL restarts (a clean fast shutdown or a crash) while the web serves and a worker
renders: clean 503s during the outage (or, for a poll, the job's last answer kept in Redis while
the account's state is still cached), then every order ends with one video and one email, and
no job is left stuck. On a private cluster (``tests/support/private_postgres.py``), never the
machine's shared PostgreSQL."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade

from app.extensions import db
from tests.chaos.orders import FAST_CLOCK, FAST_RETRIES, SMALL, row, verdict
from tests.integration.renders.conftest import upload
from tests.support import factories
from tests.support.auth import auth_headers
from tests.support.private_postgres import PrivatePostgres
from tests.support.worker_process import WorkerProcess, wait_for, worker_env

pytestmark = pytest.mark.slow


@pytest.fixture
def private_postgres():
    # under /tmp itself: the server's user must reach it (pytest's own temp dirs are private)
    server = PrivatePostgres(Path(tempfile.mkdtemp(prefix="waveframe-pg-"))).start()
    yield server
    server.destroy()


def test_postgres_restart_while_web_serves_and_worker_renders(chaos, make_app, app, private_postgres,
                                                              clip, tmp_path):
    own = make_app(SQLALCHEMY_DATABASE_URI=private_postgres.url,
                   RENDER_TMP_DIR=str(tmp_path / "render-tmp"), RENDER_RETRY_INTERVALS=FAST_RETRIES)
    outage_answers: list[int] = []
    with own.app_context():
        upgrade()
        client = own.test_client()
        env = worker_env(own, DATABASE_URL=private_postgres.url, **FAST_CLOCK)
        worker = WorkerProcess(env, tmp_path / "worker.log").start()
        try:
            for _ in range(chaos.trials):
                made = factories.make_user()
                user = SimpleNamespace(id=made.id, email=made.email)  # outlives the session
                headers = auth_headers(made)
                job_id = upload(client, headers, clip, config=SMALL).json["id"]
                at = chaos.rng.uniform(0, 70)
                wait_for(lambda: row(job_id).status == "rendering" and row(job_id).progress >= at,
                         timeout=120, interval=0.05, message=f"render past {at:.0f} %")
                mode = chaos.rng.choice(["fast", "immediate"])
                down_for = chaos.rng.uniform(0.5, 5.0)
                private_postgres.stop(mode)
                stopped = time.monotonic()
                while time.monotonic() - stopped < down_for:  # users keep polling meanwhile
                    answer = client.get(f"/api/v1/renders/{job_id}", headers=headers)
                    outage_answers.append(answer.status_code)
                    if answer.status_code == 200:  # the last answer kept (status_cache)
                        assert answer.get_json()["id"] == job_id
                    time.sleep(0.2)
                private_postgres.start()
                db.session.remove()
                outcome, detail = verdict(job_id, user, Path(own.config["OUTBOX_DIR"]), timeout=300)
                chaos.record(outcome, f"{mode} stop for {down_for:.1f} s at {at:.0f} %: {detail}")
        finally:
            worker.stop()
            db.session.remove()
            db.engine.dispose()
    assert outage_answers and set(outage_answers) <= {200, 503}, sorted(set(outage_answers))
    chaos.assert_all_once()
