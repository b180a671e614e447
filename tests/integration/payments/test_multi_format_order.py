"""Three formats from one order: one payment, the audio analysed once, three videos of the right
sizes stored under the job's prefix, one email listing a link to each."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import subprocess
import uuid
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import EmailDelivery, Payment, RenderJob, RenderStatus
from tests.integration.payments.helpers import upload
from tests.support.gcs_emulator import endpoint_path
from tests.support.job_runner import JobRunner
from tests.support.stripe_webhooks import deliver, make_event

FORMATS = ["1280x720", "720x720", "720x1280"]


def probe_size(data: bytes, folder: Path) -> tuple[int, int, float]:
    path = folder / f"{uuid.uuid4()}.mp4"
    path.write_bytes(data)
    result = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-print_format", "json",
                             "-show_streams", "-show_format", str(path)],
                            capture_output=True, check=True, timeout=30)
    info = json.loads(result.stdout)
    stream = info["streams"][0]
    return int(stream["width"]), int(stream["height"]), float(info["format"]["duration"])


def outbox_messages(folder: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            found.append(message)
    return found


def test_three_formats_one_payment_one_analysis_three_videos_one_email(
        pay_client, app, user_factory, auth_headers, fake_stripe, clip, tmp_path, caplog):
    user = user_factory(email="three-formats@example.com")
    headers = auth_headers(user)
    created = upload(pay_client, headers, clip, {"template": "bars", "formats": FORMATS, "fps": 24,
                                                 "title": "Three Ways"})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["config"]["formats"] == FORMATS and body["config"]["size"] == "1280x720"
    assert body["price"] == {"amount": 3 * 199, "currency": "usd"}  # 720p each, under 60 s

    paying = pay_client.post(f"/api/v1/renders/{body['id']}/checkout", headers=headers)
    assert paying.status_code == 200, paying.json
    [request] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == str(3 * 199)
    assert "3 formats" in request.params["line_items"][0]["price_data"]["product_data"]["description"]
    session = fake_stripe.complete_session(paying.json["checkout_session_id"])
    assert deliver(pay_client, make_event("checkout.session.completed", session)).json["outcome"] == "paid"

    with caplog.at_level(logging.INFO):
        JobRunner(app).run()  # the render task, then the email task
    assert [r for r in caplog.records if r.getMessage() == "analysis_done"].__len__() == 1

    job = db.session.get(RenderJob, uuid.UUID(body["id"]), populate_existing=True)
    assert job.status == RenderStatus.COMPLETED, job.error_message
    answer = pay_client.get(f"/api/v1/renders/{job.id}", headers=headers).json
    assert [(o["size"], o["aspect"]) for o in answer["outputs"]] == [
        ("1280x720", "16:9"), ("720x720", "1:1"), ("720x1280", "9:16")]
    assert answer["output"]["size"] == answer["outputs"][0]["bytes"]
    keys = [o.output_key for o in job.outputs]
    assert keys[0] == job.output_key and all(k.startswith(f"renders/{user.id}/{job.id}.") for k in keys)
    for output in answer["outputs"]:
        link = pay_client.get(output["download"], headers=headers)
        assert link.status_code == 200, link.json
        video = pay_client.get(endpoint_path(link.json["url"]))
        width, height, duration = probe_size(video.data, tmp_path)
        assert f"{width}x{height}" == output["size"] and abs(duration - 2.0) < 0.1
        assert output["size"] in video.headers["Content-Disposition"] or output["size"] == FORMATS[0]
    default = pay_client.get(f"/api/v1/renders/{job.id}/download", headers=headers).json
    assert "url" in default  # the first format
    missing = pay_client.get(f"/api/v1/renders/{job.id}/download?size=1920x1080", headers=headers)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "format_not_found"

    assert db.session.scalar(select(func.count()).select_from(Payment)
                             .where(Payment.render_job_id == job.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(EmailDelivery)
                             .where(EmailDelivery.render_job_id == job.id)) == 1
    [message] = outbox_messages(Path(app.config["OUTBOX_DIR"]), user.email)
    text = message.get_body(("plain",)).get_content()
    links = [word for word in text.split() if "/api/v1/files/" in word]
    assert len(links) == 3 and "in 3 formats" in text
    for label in ("16:9, 1280x720", "1:1, 720x720", "9:16, 720x1280"):
        assert label in text
    sizes = {"x".join(map(str, probe_size(pay_client.get(endpoint_path(u)).data, tmp_path)[:2]))
             for u in links}
    assert sizes == set(FORMATS)
