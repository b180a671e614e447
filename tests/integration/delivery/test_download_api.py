"""GET /api/v1/renders/{id}/download and the local signed file route."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import requests

from app.adapters.storage.local import make_download_token
from app.models import RenderStatus, utcnow
from tests.support.gcs_emulator import endpoint_path
from tests.support.gcs_signing import parse_signed_url, signature_is_valid


def _download(client, job, headers, **query):
    return client.get(f"/api/v1/renders/{job.id}/download", headers=headers, query_string=query)


def test_owner_gets_a_link_that_serves_the_video(client, local_storage, finished_job,
                                                  auth_headers, video_bytes, caplog):
    job = finished_job()
    headers = auth_headers(job.user)
    before = utcnow().replace(microsecond=0)
    with caplog.at_level(logging.DEBUG):
        response = _download(client, job, headers)
    after = utcnow()
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"url", "expires_at"}
    assert response.headers["Cache-Control"] == "no-store"
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(hours=24) <= expires_at <= after + timedelta(hours=24)
    assert body["url"].startswith("http://localhost/api/v1/files/")
    token = body["url"].rsplit("/", 1)[1]
    assert "download_link_issued" in caplog.text
    assert token not in caplog.text  # links are never logged

    file_response = client.get(endpoint_path(body["url"]))
    assert file_response.status_code == 200
    assert file_response.data == video_bytes
    assert file_response.headers["Content-Type"] == "video/mp4"
    assert file_response.headers["Content-Disposition"] == 'attachment; filename="Night Drive.mp4"'
    assert file_response.headers["Accept-Ranges"] == "bytes"


def test_local_file_route_supports_range_requests(client, local_storage, finished_job,
                                                  auth_headers, video_bytes):
    job = finished_job()
    url = _download(client, job, auth_headers(job.user)).get_json()["url"]
    partial = client.get(endpoint_path(url), headers={"Range": "bytes=1000-1999"})
    assert partial.status_code == 206
    assert partial.data == video_bytes[1000:2000]
    assert partial.headers["Content-Range"] == f"bytes 1000-1999/{len(video_bytes)}"
    tail = client.get(endpoint_path(url), headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.data == video_bytes[-100:]
    beyond = client.get(endpoint_path(url), headers={"Range": f"bytes={len(video_bytes) + 10}-"})
    assert beyond.status_code == 416


def test_redirect_variant(client, local_storage, finished_job, auth_headers):
    job = finished_job()
    response = _download(client, job, auth_headers(job.user), redirect=1)
    assert response.status_code == 302
    assert "/api/v1/files/" in response.headers["Location"]
    assert response.headers["Cache-Control"] == "no-store"


def test_another_users_render_is_not_found(client, local_storage, finished_job, user_factory,
                                           auth_headers):
    job = finished_job()
    response = _download(client, job, auth_headers(user_factory()))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "render_not_found"
    assert "url" not in response.get_data(as_text=True)
    unknown = client.get("/api/v1/renders/00000000-0000-4000-8000-000000000000/download",
                         headers=auth_headers(job.user))
    assert unknown.status_code == 404


def test_authentication_is_required(client, local_storage, finished_job):
    job = finished_job()
    assert client.get(f"/api/v1/renders/{job.id}/download").status_code == 401


def test_a_render_not_completed_is_a_conflict(client, render_job_factory, auth_headers):
    for status in (RenderStatus.QUEUED, RenderStatus.RENDERING, RenderStatus.FAILED,
                   RenderStatus.CANCELED):
        job = render_job_factory(status=status)
        response = _download(client, job, auth_headers(job.user))
        assert response.status_code == 409, status
        body = response.get_json()["error"]
        assert body["code"] == "render_not_completed"
        assert body["details"]["status"] == str(status)


def test_an_expired_render_is_gone(client, local_storage, finished_job, render_job_factory,
                                   auth_headers):
    expired = render_job_factory(status=RenderStatus.EXPIRED, expired_at=utcnow())
    response = _download(client, expired, auth_headers(expired.user))
    assert response.status_code == 410
    assert response.get_json()["error"]["code"] == "video_expired"
    # past its retention but not yet swept by the retention task: gone as well
    overdue = finished_job(video_expires_at=utcnow() - timedelta(minutes=1))
    assert _download(client, overdue, auth_headers(overdue.user)).status_code == 410


def test_link_never_outlives_the_video(client, local_storage, finished_job, auth_headers):
    job = finished_job(video_expires_at=utcnow() + timedelta(hours=2))
    body = _download(client, job, auth_headers(job.user)).get_json()
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert job.video_expires_at - timedelta(seconds=2) <= expires_at <= job.video_expires_at


def test_expired_and_forged_file_links_are_refused(app, client, local_storage, finished_job):
    job = finished_job()
    secret = app.config["SECRET_KEY"]
    expired = make_download_token(secret, job.output_key, expires_at=int(time.time()) - 1)
    response = client.get(f"/api/v1/files/{expired}")
    assert response.status_code == 410
    assert response.get_json()["error"]["code"] == "download_link_expired"
    forged = make_download_token("not-the-app-secret-0123456789abcdef", job.output_key,
                                 expires_at=int(time.time()) + 600)
    assert client.get(f"/api/v1/files/{forged}").status_code == 403
    escape = make_download_token(secret, "../../etc/passwd", expires_at=int(time.time()) + 600)
    assert client.get(f"/api/v1/files/{escape}").status_code == 403
    deleted = make_download_token(secret, "renders/none/none.mp4", expires_at=int(time.time()) + 60)
    assert client.get(f"/api/v1/files/{deleted}").status_code == 410


def test_gcs_link_is_a_signed_url_that_downloads_the_video(gcs_app, client, finished_job,
                                                            auth_headers, video_bytes, signing_key,
                                                            gcs):
    job = finished_job()
    body = _download(client, job, auth_headers(job.user)).get_json()
    signed = parse_signed_url(body["url"])
    assert signed.expires_in == 24 * 3600
    # the same lifetime, counted from the signing instant (a moment after the answer's clock)
    assert timedelta(0) <= signed.expires_at - datetime.fromisoformat(body["expires_at"]) <= timedelta(
        seconds=30)
    assert signature_is_valid(body["url"], signing_key[0].private_key.public_key())
    response = requests.get(body["url"], timeout=10)
    assert response.status_code == 200 and response.content == video_bytes
    assert response.headers["Content-Disposition"] == 'attachment; filename="Night Drive.mp4"'


def test_link_lifetime_follows_the_setting_capped_at_seven_days(app, gcs_app, client,
                                                                finished_job, auth_headers):
    job = finished_job(video_expires_at=utcnow() + timedelta(days=30))
    saved = app.config["DOWNLOAD_LINK_TTL"]
    try:
        app.config["DOWNLOAD_LINK_TTL"] = 3600
        url = _download(client, job, auth_headers(job.user)).get_json()["url"]
        assert parse_signed_url(url).expires_in == 3600
        app.config["DOWNLOAD_LINK_TTL"] = 30 * 86400
        url = _download(client, job, auth_headers(job.user)).get_json()["url"]
        assert parse_signed_url(url).expires_in == 7 * 86400
    finally:
        app.config["DOWNLOAD_LINK_TTL"] = saved
