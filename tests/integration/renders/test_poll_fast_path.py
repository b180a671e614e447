"""The status poll's fast path (app/renders/status.py) answers exactly what the schema would.

``GET /api/v1/renders/{id}`` builds its document without marshmallow; for a job in every status,
with every optional part absent and then present, its body must be byte for byte the JSON of
``RenderJobSchema().dump(job)``, with the same status and headers a schema-dumped answer has.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import jsonify

from app.extensions import db
from app.models import RenderJob, RenderOutput, RenderStatus
from app.renders.schemas import RenderJobSchema
from app.renders.status import job_document
from tests.integration.accounts.conftest import STRONG_PASSWORD
from tests.integration.renders.conftest import upload

MOMENT = datetime(2026, 12, 5, 1, 2, 3, 456789, tzinfo=UTC)
DATETIMES = ("queued_at", "paid_at", "started_at", "progress_updated_at", "completed_at",
             "failed_at", "canceled_at", "expired_at", "video_expires_at")


@pytest.fixture
def owner(app, media, render_tmp):
    client = app.test_client()
    body = client.post("/api/v1/auth/register",
                       json={"email": "fast@example.com", "password": STRONG_PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    created = upload(client, headers, media["wav"], filename="tone.wav")
    assert created.status_code == 201, created.get_json()
    return client, headers, created.get_json()["id"]


def _set(app, job_id: str, **values) -> None:
    with app.app_context():
        job = db.session.get(RenderJob, job_id)
        for name, value in values.items():
            setattr(job, name, value)
        db.session.commit()


def _schema_answer(app, job_id: str) -> bytes:
    with app.test_request_context():
        job = db.session.get(RenderJob, job_id)
        return jsonify(RenderJobSchema().dump(job)).get_data()


def _bare() -> dict:
    values = {name: None for name in DATETIMES}
    values.update(error_code=None, error_message=None, price_amount=None, price_currency=None,
                  output_key=None, output_size=None, output_duration=None, output_checksum=None,
                  eta_seconds=None, audio_format=None, audio_size=None, cancel_requested=False)
    return values


def _full(index: int) -> dict:
    values = {name: MOMENT + timedelta(seconds=i, microseconds=index)
              for i, name in enumerate(DATETIMES)}
    values.update(error_code="render_failed", error_message="The engine stopped: ünïcode “quotes”",
                  price_amount=499 + index, price_currency="eur", output_key=f"videos/{index}.mp4",
                  output_size=12_345_678, output_duration=2.002, output_checksum="ab" * 32,
                  eta_seconds=17, progress=63, attempts=2, priority="default",
                  cancel_requested=True, audio_size=88_278, audio_format="wav",
                  config={"template": "bars", "size": "720x720", "fps": 24, "title": "Fast ✓",
                          "options": {"bars": 64, "nested": {"list": [1, 2.5, None, True]}}})
    return values


@pytest.mark.parametrize("status", list(RenderStatus))
def test_the_fast_answer_is_the_schemas_dump_in_every_status(app, owner, status):
    client, headers, job_id = owner
    for index, values in enumerate((_bare(), _full(1))):
        _set(app, job_id, status=status, **values)
        response = client.get(f"/api/v1/renders/{job_id}", headers=headers)
        assert response.status_code == 200
        assert response.get_data() == _schema_answer(app, job_id), (status, index)
        assert response.mimetype == "application/json"
        assert response.get_json()["status"] == status.value


def test_job_document_matches_the_schema_for_an_orm_job(app, owner):
    _client, _headers, job_id = owner
    _set(app, job_id, **_full(2))
    with app.app_context():
        job = db.session.get(RenderJob, job_id)
        assert job_document(job) == RenderJobSchema().dump(job)
        assert list(job_document(job)) == list(RenderJobSchema().dump(job))


def test_the_fast_answer_has_the_headers_of_any_api_answer(app, owner):
    client, headers, job_id = owner
    poll = client.get(f"/api/v1/renders/{job_id}", headers=headers)
    listing = client.get("/api/v1/renders", headers=headers)
    for name in ("Content-Type", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                 "Content-Security-Policy", "Cross-Origin-Opener-Policy"):
        assert poll.headers.get(name) == listing.headers.get(name), name
    assert poll.headers.get("X-Request-ID")


def test_no_job_and_another_users_job_are_the_same_404(app, owner):
    client, _headers, job_id = owner
    other = client.post("/api/v1/auth/register",
                        json={"email": "other-fast@example.com", "password": STRONG_PASSWORD})
    stranger = {"Authorization": f"Bearer {other.get_json()['access_token']}"}
    theirs = client.get(f"/api/v1/renders/{job_id}", headers=stranger)
    missing = client.get("/api/v1/renders/00000000-0000-4000-8000-000000000000", headers=stranger)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json() == missing.get_json()
    assert theirs.get_json()["error"]["code"] == "render_not_found"


def test_the_fast_answer_lists_every_format_of_a_completed_order(app, owner):
    client, headers, job_id = owner
    sizes = ("1280x720", "720x720", "720x1280")
    _set(app, job_id, status=RenderStatus.COMPLETED, **{**_full(3), "config": {
        "template": "bars", "size": sizes[0], "formats": list(sizes), "fps": 24}})
    with app.app_context():
        for position, size in enumerate(sizes):
            db.session.add(RenderOutput(render_job_id=job_id, position=position, size=size,
                                        output_key=f"renders/x/{job_id}.{size}.mp4",
                                        size_bytes=1000 + position, duration=2.0, checksum="cd" * 32))
        db.session.commit()
    response = client.get(f"/api/v1/renders/{job_id}", headers=headers)
    assert [o["size"] for o in response.get_json()["outputs"]] == list(sizes)
    assert [o["aspect"] for o in response.get_json()["outputs"]] == ["16:9", "1:1", "9:16"]
    assert response.get_data() == _schema_answer(app, job_id)
