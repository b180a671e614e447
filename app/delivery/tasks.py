"""Retention: the periodic task that deletes videos and uploads whose retention is over.

Registered by ``app.delivery.init_app`` (every 15 minutes). Each run works in batches until
nothing is due; two runs at once share the rows (``SKIP LOCKED``) instead of both deleting the
same objects. A storage failure leaves those jobs for the next run and makes this run raise, so
RQ retries it and records the failure.
"""

from __future__ import annotations

from app.adapters.storage import StorageError
from app.delivery.retention import expire_due_renders
from app.tasks.jobs import task
from app.tasks.queues import LOW

EXPIRE_EVERY = 15 * 60


@task(queue=LOW, timeout=30 * 60, retries=2, retry_intervals=(60, 300))
def expire_renders() -> dict:
    report = expire_due_renders()
    if report.failures:
        raise StorageError(f"{len(report.failures)} expired render(s) could not be deleted yet")
    return {"jobs_expired": report.jobs_expired, "objects_deleted": report.objects_deleted}
