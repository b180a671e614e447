"""The email task: send one queued message, retrying with backoff while the provider may accept it.

429, 5xx, timeouts and connection errors raise, and RQ retries at the intervals below; any
other refusal is final at once (the job goes to the failed registry without further tries).
After the last attempt the failure callback records the outcome on the ``EmailDelivery`` row.
"""

from __future__ import annotations

from rq import get_current_job
from rq.job import Job

from app.adapters.email import EmailSendError
from app.mail.sending import EmailRejected, deliver_email, mark_email_failed
from app.tasks.jobs import is_final_attempt, log_job_failure, task
from app.tasks.queues import DEFAULT
from app.web.metrics import observe_job_start

RETRY_INTERVALS = (15, 60, 300, 900, 1800)  # seconds; about 50 minutes in all


def record_email_failure(job: Job, connection, exc_type, exc_value, traceback) -> None:
    """Failure callback: log the attempt; after the last one, mark the delivery failed."""
    log_job_failure(job, connection, exc_type, exc_value, traceback)
    if not is_final_attempt(job) or not job.args:
        return
    status = None
    if isinstance(exc_value, EmailSendError):
        summary, status = exc_value.summary, exc_value.status
    else:
        summary = f"send failed ({exc_type.__name__ if exc_type else 'unknown error'})"
    mark_email_failed(job.args[0], summary, provider_status=status)


@task(queue=DEFAULT, timeout=60, retries=len(RETRY_INTERVALS), retry_intervals=RETRY_INTERVALS,
      result_ttl=3600, on_failure="app.mail.tasks.record_email_failure")
def send_email(delivery_id: str, template: str, sealed_context: str) -> str | None:
    observe_job_start(get_current_job())
    try:
        return deliver_email(delivery_id, template, sealed_context)
    except EmailRejected:
        job = get_current_job()
        if job is not None:
            job.retries_left = 0  # a refusal that will not change: no retry
        raise
