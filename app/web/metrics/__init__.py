"""Prometheus metrics of the whole deployment, served by the web at ``GET /metrics``.

Every process that records something -- each gunicorn worker, each RQ work horse -- adds it to
Redis at record time (``store.py``: one ``HINCRBYFLOAT`` per series or histogram bucket, all of
an observation in one pipelined round trip); ``/metrics`` reads those hashes back at scrape time
(``collectors.py``), so any web worker answers with the sum over all of them. Redis rather than
prometheus_client's multiprocess mode because that mode needs one directory shared by every
process, and on Railway the web and the worker are separate containers with separate disks;
Redis is the one thing both already share. Recording never breaks the request or the render it
measures: a Redis error is logged once and recording pauses for a few seconds.

What is recorded (``families.py``) and where:

- HTTP requests by method, route (the URL rule, never the raw path) and status, and their
  latency -- ``observe_request``, from the access log hook of ``app/web/http.py``;
- render wall time and real-time factor by template (``observe_render``) and the outcome of each
  render attempt (``observe_render_outcome``) -- from ``app/renders``;
- how long a job waited on its queue before a worker started it (``observe_job_start``);
- email outcomes by kind (``observe_email``) and Stripe webhook outcomes by event type
  (``observe_webhook``).

Read at scrape time from where they live (``collectors.StateCollector``): render jobs by status
(Postgres) and queue depths (Redis).
"""

from __future__ import annotations

from app.web.metrics.endpoint import init_metrics
from app.web.metrics.observe import (
    observe_email,
    observe_job_start,
    observe_render,
    observe_render_outcome,
    observe_request,
    observe_webhook,
)

__all__ = [
    "init_metrics",
    "observe_email",
    "observe_job_start",
    "observe_render",
    "observe_render_outcome",
    "observe_request",
    "observe_webhook",
]
