"""Orders of several formats through the API and the render task: validation, identity, cancel
and retry of the whole order."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path

import pytest

from app.adapters import get_storage
from app.extensions import db
from app.models import RenderJob, RenderStatus
from app.renders.workspace import output_dir
from tests.integration.renders.conftest import NOTHING, leftovers, upload


def reload(job_id) -> RenderJob:
    db.session.rollback()
    return db.session.get(RenderJob, job_id, populate_existing=True)


def log_count(caplog, message: str) -> int:
    return sum(1 for record in caplog.records if record.getMessage() == message)


@pytest.mark.parametrize(("formats", "field", "words"), [
    (["1920x1080", "1280x720"], "config.formats", "one size per aspect"),
    (["720x720", "720x720"], "config.formats", "listed twice"),
    (["640x480"], "config.formats[0]", "Must be one of"),
    (["1920x1080", "1080x1080", "1080x1920", "720x720"], "config.formats", "at most 3"),
    ([], "config.formats", "at least 1"),
    ("1920x1080", "config.formats", "type array"),
])
def test_invalid_formats_are_422_naming_the_field_and_leave_nothing(
        client, user_factory, auth_headers, media, render_tmp, formats, field, words):
    owner = user_factory()
    answer = upload(client, auth_headers(owner), media["mp3"],
                    config={"template": "bars", "formats": formats})
    assert answer.status_code == 422, answer.json
    fields = answer.json["error"]["details"]["fields"]
    assert field in fields and words in " ".join(fields[field]), fields
    assert leftovers(owner, render_tmp) == NOTHING


def test_a_size_other_than_the_first_format_is_422(client, user_factory, auth_headers, media, render_tmp):
    answer = upload(client, auth_headers(user_factory()), media["mp3"],
                    config={"template": "bars", "size": "720x720", "formats": ["1280x720", "720x720"]})
    assert answer.status_code == 422
    assert "config.size" in answer.json["error"]["details"]["fields"]


def test_one_format_is_the_plain_size_and_the_same_render(client, user_factory, auth_headers, media,
                                                         render_tmp):
    headers = auth_headers(user_factory())
    first = upload(client, headers, media["mp3"], config={"template": "bars", "formats": ["720x720"]})
    assert first.status_code == 201
    assert first.json["config"]["size"] == "720x720" and "formats" not in first.json["config"]
    again = upload(client, headers, media["mp3"], config={"template": "bars", "size": "720x720"})
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    order = upload(client, headers, media["mp3"],
                   config={"template": "bars", "formats": ["720x720", "720x1280"]})
    assert order.status_code == 201 and order.json["id"] != first.json["id"]  # formats are identity


def test_the_templates_document_and_openapi_describe_formats(client):
    schema = client.get("/api/v1/templates").json["config_schema"]["properties"]["formats"]
    assert schema["type"] == "array" and schema["maxItems"] == 3 and schema["minItems"] == 1
    assert "1080x1920" in schema["items"]["enum"]
    spec = client.get("/api/openapi.json").json
    upload_doc = spec["paths"]["/api/v1/renders"]["post"]["requestBody"]["content"]["multipart/form-data"]
    variants = upload_doc["schema"]["properties"]["config"]["oneOf"]
    assert all(v["properties"]["formats"]["maxItems"] == 3 for v in variants)
    params = spec["paths"]["/api/v1/renders/{job_id}/download"]["get"]["parameters"]
    assert any(p["name"] == "size" for p in params)


def test_a_cancel_stops_the_whole_order_part_way(app, client, user_factory, auth_headers, media, jobs,
                                                 render_tmp, caplog):
    owner = user_factory()
    headers = auth_headers(owner)
    # the second format is the large one: it is still rendering when the cancel arrives
    created = upload(client, headers, media["ten_seconds"],
                     config={"template": "bars", "formats": ["720x720", "1080x1920"], "fps": 24})
    job_id = uuid.UUID(created.json["id"])
    answers = []

    def cancel_during_the_second_format():
        deadline = time.monotonic() + 240
        with app.app_context():
            while time.monotonic() < deadline:
                row = db.session.get(RenderJob, job_id, populate_existing=True)
                if row.progress > 50:  # the first format is done, the second under way
                    answers.append(app.test_client().post(f"/api/v1/renders/{job_id}/cancel",
                                                          headers=headers))
                    break
                db.session.rollback()
                time.sleep(0.2)
            db.session.remove()

    canceler = threading.Thread(target=cancel_during_the_second_format)
    canceler.start()
    with caplog.at_level(logging.INFO):
        jobs.run()
    canceler.join(timeout=30)
    assert answers and answers[0].status_code == 200, answers and answers[0].json
    job = reload(job_id)
    assert job.status == RenderStatus.CANCELED and job.output_key is None and job.outputs == []
    assert log_count(caplog, "render_done") == 1  # the first format only: the second was stopped
    assert list(get_storage().list(f"renders/{owner.id}/{job_id}")) == []
    assert not output_dir(job_id).exists()


def test_a_failed_order_is_retried_whole(
        app, client, user_factory, auth_headers, media, jobs, render_tmp, caplog):
    owner = user_factory()
    headers = auth_headers(owner)
    created = upload(client, headers, media["mp3"],
                     config={"template": "bars", "formats": ["720x720", "720x1280"], "fps": 24})
    job_id = uuid.UUID(created.json["id"])
    # a file where the user's renders/ folder should be: every upload of the videos fails
    blocker = Path(app.config["STORAGE_LOCAL_ROOT"]) / "renders" / str(owner.id)
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("in the way")
    try:
        with caplog.at_level(logging.INFO):
            jobs.run()
            for _ in range(2):  # RQ's own retries, all failing
                assert jobs.release_scheduled() == 1
                jobs.run()
        # the retries stored the formats the first run had rendered: analysed and rendered once
        assert log_count(caplog, "analysis_done") == 1 and log_count(caplog, "render_done") == 2
        job = reload(job_id)
        assert job.status == RenderStatus.FAILED and job.attempts == 1
        assert not output_dir(job_id).exists()  # dropped with the final failure
    finally:
        blocker.unlink()
    caplog.clear()
    retried = client.post(f"/api/v1/renders/{job_id}/retry", headers=headers)
    assert retried.status_code == 200 and retried.json["status"] == "queued"
    with caplog.at_level(logging.INFO):
        jobs.run()
    job = reload(job_id)
    assert job.status == RenderStatus.COMPLETED, job.error_message
    assert [o.size for o in job.outputs] == ["720x720", "720x1280"] and job.attempts == 2
    assert log_count(caplog, "analysis_done") == 1
    body = client.get(f"/api/v1/renders/{job_id}", headers=headers).json
    assert [o["size"] for o in body["outputs"]] == ["720x720", "720x1280"]
