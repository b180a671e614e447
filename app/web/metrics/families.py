"""The metrics Waveframe records: names, help, labels and histogram buckets."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

from prometheus_client.utils import floatToGoString

COUNTER, HISTOGRAM = "counter", "histogram"
INF = "+Inf"


@dataclass(frozen=True)
class Family:
    name: str
    help: str
    kind: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()  # upper bounds of a histogram, ascending, +Inf implied

    @cached_property  # computed once per family (it is on every request's path)
    def bounds(self) -> tuple[str, ...]:
        """Every bucket's ``le`` label, +Inf last (also the field names in Redis)."""
        return (*(floatToGoString(b) for b in self.buckets), INF)

    def bucket_of(self, value: float) -> str:
        """The ``le`` of the one bucket ``value`` falls in (buckets are stored uncumulated)."""
        index = bisect.bisect_left(self.buckets, value)
        return self.bounds[index]


HTTP_REQUESTS = Family("waveframe_http_requests_total", "HTTP requests served",
                       COUNTER, ("method", "route", "status"))
HTTP_LATENCY = Family("waveframe_http_request_duration_seconds", "HTTP request latency",
                      HISTOGRAM, ("method", "route", "status"),
                      (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
RENDER_DURATION = Family("waveframe_render_duration_seconds",
                         "Wall-clock time of a render (the engine's run, upload excluded)",
                         HISTOGRAM, ("template",),
                         (1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600))
RENDER_REALTIME_FACTOR = Family("waveframe_render_realtime_factor",
                                "Seconds of audio rendered per wall-clock second",
                                HISTOGRAM, ("template",),
                                (0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10))
RENDER_OUTCOMES = Family("waveframe_render_outcomes_total",
                         "Render attempts by how they ended: completed, failed (for good), "
                         "retrying (failed, another attempt follows), canceled",
                         COUNTER, ("template", "status"))
QUEUE_WAIT = Family("waveframe_queue_wait_seconds",
                    "Time a job waited on its queue before a worker started it",
                    HISTOGRAM, ("queue", "task"),
                    (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600))
EMAILS = Family("waveframe_emails_total",
                "Email send attempts by kind and result: sent, deferred (will retry), failed",
                COUNTER, ("kind", "result"))
WEBHOOKS = Family("waveframe_stripe_webhooks_total",
                  "Stripe webhook deliveries by event type and result",
                  COUNTER, ("type", "result"))

RECORDED: tuple[Family, ...] = (HTTP_REQUESTS, HTTP_LATENCY, RENDER_DURATION,
                                RENDER_REALTIME_FACTOR, RENDER_OUTCOMES, QUEUE_WAIT, EMAILS,
                                WEBHOOKS)
