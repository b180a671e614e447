"""Periodic maintenance of render jobs (registered by ``app.renders.init_app``).

- ``reconcile_renders``: re-enqueue queued/rendering jobs whose RQ entry is lost or whose
  worker died (Postgres is the source of truth).
- ``clean_render_temp_files``: temp folders left by crashed requests and workers.
- ``delete_unpaid_render_uploads``: uploads of jobs never paid after UNPAID_UPLOAD_RETENTION_HOURS.

They run on the high queue so a long render does not delay them, and are safe to run twice
at once. Errors raise, so RQ retries them and records the failure.
"""

from __future__ import annotations

from app.renders import recovery
from app.tasks.jobs import task
from app.tasks.queues import HIGH

RECONCILE_EVERY = 60
TEMP_CLEANUP_EVERY = 3600
UNPAID_CLEANUP_EVERY = 3600


@task(queue=HIGH, timeout=300, retries=1, retry_intervals=(30,))
def reconcile_renders() -> dict:
    return recovery.reconcile_render_jobs()


@task(queue=HIGH, timeout=600, retries=1, retry_intervals=(60,))
def clean_render_temp_files() -> dict:
    return recovery.cleanup_render_temp_files()


@task(queue=HIGH, timeout=1800, retries=1, retry_intervals=(300,))
def delete_unpaid_render_uploads() -> int:
    return recovery.delete_unpaid_uploads()


PERIODIC = ((reconcile_renders, RECONCILE_EVERY), (clean_render_temp_files, TEMP_CLEANUP_EVERY),
            (delete_unpaid_render_uploads, UNPAID_CLEANUP_EVERY))
