"""What the chaos scenarios check about each order (a render job), and the worker plumbing."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import select

from app.adapters import get_storage
from app.extensions import db
from app.models import EmailDelivery, RenderJob
from app.tasks.queues import all_queues
from tests.support.worker_process import wait_for

# A clock fast enough for trials to end in seconds: reconcile every 2 s, leave rows changed in
# the last 8 s alone (a live render stamps its row every 2 s), a render silent 10 s is dead,
# RQ retries a failed attempt after 3 s then 5 s (30 s and 120 s in production).
FAST_RETRIES = (3, 5)
FAST_CLOCK = {"RENDER_RECONCILE_EVERY_SECONDS": "2", "RENDER_RECONCILE_GRACE_SECONDS": "8",
              "RENDER_STALE_SECONDS": "10",
              "RENDER_RETRY_INTERVALS": ",".join(map(str, FAST_RETRIES))}
SMALL = {"template": "bars", "size": "720x720", "fps": 24}


def row(job_id) -> RenderJob:
    db.session.rollback()
    return db.session.get(RenderJob, uuid.UUID(str(job_id)), populate_existing=True)


def outbox_count(outbox: Path, email: str) -> int:
    if not outbox.is_dir():
        return 0
    return sum(1 for p in outbox.glob("*.eml") if f"To: {email}" in p.read_text(errors="replace"))


def queues_idle() -> bool:
    return all(q.count == 0 and q.started_job_registry.count == 0 for q in all_queues())


def verdict(job_id, user, outbox: Path, *, timeout: float) -> tuple[str, str]:
    """Await the order's end, then ("once" | "lost" | "duplicated", detail): exactly one
    completed video stored, one "video ready" email recorded and one delivered."""
    try:
        wait_for(lambda: row(job_id).status in ("completed", "failed", "canceled"), timeout=timeout,
                 interval=0.25, message="the job ended")
        # an email task caught on a killed worker waits for RQ to declare it abandoned (its
        # heartbeat's TTL, 90 s) and retry it: bounded, but minutes rather than seconds
        wait_for(lambda: outbox_count(outbox, user.email) >= 1, timeout=300, message="email sent")
        wait_for(queues_idle, timeout=60, message="queues drained")
    except AssertionError as exc:
        job = row(job_id)
        return "lost", f"{exc} (status {job.status}, attempts {job.attempts})"
    job = row(job_id)
    videos = [o.key for o in get_storage().list(f"renders/{user.id}/")]
    recorded = db.session.scalars(select(EmailDelivery).where(
        EmailDelivery.render_job_id == job.id, EmailDelivery.kind == "video_ready")).all()
    sent = outbox_count(outbox, user.email)
    detail = (f"status {job.status}, attempts {job.attempts}, videos {len(videos)}, "
              f"emails recorded {len(recorded)}, delivered {sent}")
    if job.status != "completed" or not videos or not recorded:
        return "lost", detail
    if len(videos) > 1 or len(recorded) > 1 or sent > 1:
        return "duplicated", detail
    return "once", detail


def children(pid: int) -> list[int]:
    """Direct children of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def horse_pid(worker_pid: int, redis_conn=None) -> int | None:
    """The worker's work horse: the child that leads its own process group (RQ's horse calls
    ``setpgrp``; the scheduler child does not)."""
    for pid in children(worker_pid):
        try:
            if os.getpgid(pid) == pid:
                return pid
        except ProcessLookupError:
            continue
    return None
