"""Status, list, templates, pricing, cancel and retry through the API (no rendering needed)."""

from __future__ import annotations

import uuid

import pytest

from app.models import RenderStatus, utcnow
from app.renders.queueing import queue_render
from app.tasks.jobs import fetch_job
from app.tasks.queues import get_queue


@pytest.fixture
def owner(user_factory):
    return user_factory()


def test_owner_sees_the_job_another_user_gets_404(client, owner, user_factory, auth_headers,
                                                  render_job_factory):
    job = render_job_factory(owner, error_code="render_failed", error_message="Nope.",
                             status=RenderStatus.FAILED, attempts=1, failed_at=utcnow())
    mine = client.get(f"/api/v1/renders/{job.id}", headers=auth_headers(owner))
    assert mine.status_code == 200
    body = mine.json
    assert body["id"] == str(job.id) and body["status"] == "failed"
    assert body["error"] == {"code": "render_failed", "message": "Nope."}
    for key in ("progress", "eta_seconds", "attempts", "config", "created_at", "queued_at",
                "started_at", "completed_at", "failed_at", "audio", "price"):
        assert key in body
    stranger = user_factory()
    for path in (f"/api/v1/renders/{job.id}", f"/api/v1/renders/{uuid.uuid4()}"):
        other = client.get(path, headers=auth_headers(stranger))
        assert other.status_code == 404 and other.json["error"]["code"] == "render_not_found"
    for action in ("cancel", "retry"):
        response = client.post(f"/api/v1/renders/{job.id}/{action}", headers=auth_headers(stranger))
        assert response.status_code == 404
    assert client.get("/api/v1/renders/not-a-uuid", headers=auth_headers(owner)).status_code == 404
    assert client.get(f"/api/v1/renders/{job.id}").status_code == 401


def test_list_is_paginated_filtered_and_only_mine(client, owner, user_factory, auth_headers,
                                                  render_job_factory):
    for status in (RenderStatus.QUEUED, RenderStatus.FAILED, RenderStatus.COMPLETED):
        render_job_factory(owner, status=status)
    render_job_factory(user_factory())  # someone else's
    headers = auth_headers(owner)
    first = client.get("/api/v1/renders?per_page=2", headers=headers).json
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (3, 1, 2, 2)
    second = client.get("/api/v1/renders?per_page=2&page=2", headers=headers).json
    assert len(second["items"]) == 1
    ids = {i["id"] for i in first["items"] + second["items"]}
    assert len(ids) == 3
    failed = client.get("/api/v1/renders?status=failed", headers=headers).json
    assert [i["status"] for i in failed["items"]] == ["failed"] and failed["total"] == 1
    ended = client.get("/api/v1/renders?status=failed,completed", headers=headers).json
    assert ended["total"] == 2
    for query in ("per_page=0", "per_page=101", "page=0", "status=bogus"):
        response = client.get(f"/api/v1/renders?{query}", headers=headers)
        assert response.status_code == 422, query


def test_templates_are_listed_with_schemas_and_an_etag(client):
    response = client.get("/api/v1/templates")
    assert response.status_code == 200
    items = response.json["items"]
    assert {"bars", "wave", "radial", "particles"} <= {t["id"] for t in items}
    for template in items:
        assert set(template) >= {"id", "name", "description", "options_schema", "defaults"}
        assert set(template["defaults"]) == set(template["options_schema"]["properties"])
    etag = response.headers["ETag"]
    assert "public" in response.headers["Cache-Control"]
    again = client.get("/api/v1/templates", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    changed = client.get("/api/v1/templates", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200


def test_cancel_a_queued_job_takes_it_off_the_queue(client, owner, auth_headers, render_job_factory):
    job = render_job_factory(owner, status=RenderStatus.AWAITING_PAYMENT)
    queue_render(job)
    rq_job_id = job.rq_job_id
    assert rq_job_id == f"render-{job.id}-1" and get_queue("high").count == 1
    response = client.post(f"/api/v1/renders/{job.id}/cancel", headers=auth_headers(owner))
    assert response.status_code == 200
    assert response.json["status"] == "canceled" and response.json["canceled_at"]
    assert fetch_job(rq_job_id) is None and get_queue("high").count == 0
    again = client.post(f"/api/v1/renders/{job.id}/cancel", headers=auth_headers(owner))
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_render_state"


def test_cancel_rules_by_state(client, owner, auth_headers, render_job_factory):
    headers = auth_headers(owner)
    unpaid = render_job_factory(owner, status=RenderStatus.AWAITING_PAYMENT)
    assert client.post(f"/api/v1/renders/{unpaid.id}/cancel", headers=headers).json["status"] == "canceled"
    running = render_job_factory(owner, status=RenderStatus.RENDERING, rq_job_id="render-x-1")
    body = client.post(f"/api/v1/renders/{running.id}/cancel", headers=headers).json
    assert body["status"] == "canceled" and body["cancel_requested"] is True
    for status in (RenderStatus.COMPLETED, RenderStatus.FAILED, RenderStatus.EXPIRED):
        done = render_job_factory(owner, status=status)
        assert client.post(f"/api/v1/renders/{done.id}/cancel", headers=headers).status_code == 409


def test_retry_a_failed_job_is_a_new_attempt(client, owner, auth_headers, render_job_factory):
    job = render_job_factory(owner, status=RenderStatus.FAILED, attempts=1, failed_at=utcnow(),
                             rq_job_id="render-old-1", error_code="render_failed",
                             error_message="It broke.")
    response = client.post(f"/api/v1/renders/{job.id}/retry", headers=auth_headers(owner))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "queued" and body["attempts"] == 2 and body["error"] is None
    rq_job = fetch_job(f"render-{job.id}-2")
    assert rq_job is not None and rq_job.origin == "high" and rq_job.args == (str(job.id), 2)
    again = client.post(f"/api/v1/renders/{job.id}/retry", headers=auth_headers(owner))
    assert again.status_code == 409  # queued now: only failed jobs can be retried


def test_retry_limit_and_admin_retries(client, owner, user_factory, auth_headers, render_job_factory):
    worn = render_job_factory(owner, status=RenderStatus.FAILED, attempts=5, failed_at=utcnow(),
                              audio_duration=300.0, config={"template": "bars", "size": "1280x720",
                                                            "fps": 30, "trim_start": 0, "trim_end": None})
    refused = client.post(f"/api/v1/renders/{worn.id}/retry", headers=auth_headers(owner))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "retry_limit_reached"
    admin = user_factory(is_admin=True)
    admins_job = render_job_factory(admin, status=RenderStatus.FAILED, attempts=5, failed_at=utcnow(),
                                    audio_duration=300.0)
    response = client.post(f"/api/v1/renders/{admins_job.id}/retry", headers=auth_headers(admin))
    assert response.status_code == 200
    assert response.json["priority"] == "high"  # 300 s would be "default"; admin retries jump ahead
    assert fetch_job(f"render-{admins_job.id}-6").origin == "high"


def test_queue_render_contract(app_ctx, render_job_factory):
    from app.errors import Conflict
    long_job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT, audio_duration=900.0,
                                  config={"template": "bars", "size": "1920x1080", "fps": 30,
                                          "trim_start": 0, "trim_end": None})
    queue_render(long_job)
    assert (long_job.status, long_job.attempts, long_job.priority) == ("queued", 1, "low")
    assert long_job.queued_at is not None
    rq_job = fetch_job(long_job.rq_job_id)
    assert rq_job.origin == "low" and rq_job.timeout > 900
    assert rq_job.retries_left == 2
    with pytest.raises(Conflict):
        queue_render(long_job)  # already queued: not enqueued twice
    assert get_queue("low").count == 1
    trimmed = render_job_factory(status=RenderStatus.AWAITING_PAYMENT, audio_duration=900.0,
                                 config={"template": "bars", "size": "1280x720", "fps": 30,
                                         "trim_start": 100, "trim_end": 130})
    queue_render(trimmed)
    assert trimmed.priority == "high"  # 30 s after the trim


def test_openapi_documents_the_upload_and_the_render_paths(client):
    spec = client.get("/api/openapi.json").json
    body = spec["paths"]["/api/v1/renders"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert {"audio", "config", "background"} <= set(body["schema"]["properties"])
    for path in ("/api/v1/renders/{job_id}", "/api/v1/renders/{job_id}/cancel",
                 "/api/v1/renders/{job_id}/retry", "/api/v1/templates", "/api/v1/pricing"):
        assert path in spec["paths"], path
