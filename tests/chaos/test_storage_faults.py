"""Storage (GCS, through the emulator's fault proxy) answering 5xx or timing out while a user
uploads audio and while a download link is signed: a clean error, then exactly one job / a
working link once the user tries again."""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from app import adapters
from app.adapters import get_storage
from app.extensions import db
from app.models import RenderJob
from tests.integration.renders.conftest import upload

FAULTS = ("500", "503", "timeout")


def _inject(gcs, rng, trial: int) -> list[str]:
    """1-6 failures in a row. The adapter tries 3 times (and Google's client retries some 5xx
    inside each), so 4 timeouts always reach the user: the first trial does that, so that a
    single run sees the user's side of an outage."""
    if trial == 0:
        faults = ["timeout"] * 4
    else:
        faults = [rng.choice(FAULTS) for _ in range(rng.randint(1, 6))]
    for fault in faults:
        if fault == "timeout":
            gcs.proxy.fail_next(1, mode="timeout", hold_seconds=2.0)
        else:
            gcs.proxy.fail_next(1, status=int(fault))
    return faults


def _short_timeouts(app):
    app.config.update(GCS_TIMEOUT_SECONDS=1.0)
    adapters.init_app(app)


def test_storage_5xx_and_timeouts_on_upload(chaos, gcs_app, gcs, clip, user_factory, auth_headers):
    _short_timeouts(gcs_app)
    client = gcs_app.test_client()
    for trial in range(chaos.trials):
        user = user_factory()
        faults = _inject(gcs, chaos.rng, trial)
        answers = []
        for _attempt in range(3):
            response = upload(client, auth_headers(user), clip)
            answers.append(response.status_code)
            if response.status_code == 201:
                break
            assert response.status_code == 502, response.json  # a clean, retryable error
            assert response.json["error"]["code"] == "upstream_error"
        gcs.proxy.reset()
        rows = db.session.scalar(select(func.count()).select_from(RenderJob)
                                 .where(RenderJob.user_id == user.id))
        keys = [o.key for o in get_storage().list(f"uploads/{user.id}/")]
        detail = f"faults {faults}, answers {answers}, rows {rows}, objects {keys}"
        if answers[-1] != 201 or rows == 0:
            chaos.record("lost", detail)
        elif rows > 1 or any(response.json["id"] not in key for key in keys):
            chaos.record("duplicated", detail)
        else:
            chaos.record("once", detail)
    chaos.assert_all_once()


def test_storage_5xx_and_timeouts_on_signing(chaos, gcs_app, gcs, finished_job, auth_headers,
                                             video_bytes):
    _short_timeouts(gcs_app)
    client = gcs_app.test_client()
    for trial in range(chaos.trials):
        job = finished_job()
        faults = _inject(gcs, chaos.rng, trial)
        answers = []
        for _attempt in range(3):
            response = client.get(f"/api/v1/renders/{job.id}/download", headers=auth_headers(job.user))
            answers.append(response.status_code)
            if response.status_code == 200:
                break
            assert response.status_code == 502, response.json
            assert response.json["error"]["code"] == "upstream_error"
        gcs.proxy.reset()
        ok = answers[-1] == 200 and requests.get(response.json["url"], timeout=10).content == video_bytes
        chaos.record("once" if ok else "lost", f"faults {faults}, answers {answers}")
    chaos.assert_all_once()
