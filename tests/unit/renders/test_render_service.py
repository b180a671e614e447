"""The render rules on in-memory twins: creating a job from an upload (payments off: straight
onto the queue through queue_render), refusals that leave nothing behind, retry and cancel, the
worker's completion handing the job to delivery once, and the engine's errors as API errors."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.delivery.job_storage import audio_key, image_key
from app.errors import ApiError, Conflict, InvalidField, UnsupportedMedia
from app.extensions import db
from app.mail.tasks import send_email
from app.models import EmailDelivery, RenderJob, RenderStatus
from app.rendering.errors import AudioTooLong, AudioUnsupported, RenderConfigInvalid
from app.renders import execution
from app.renders.errors import api_error
from app.renders.queueing import MAX_ATTEMPTS, job_timeout, queue_render
from app.renders.service import cancel_render, create_render, retry_render
from app.renders.tasks import render_job_task
from tests.support import factories, render_media


@pytest.fixture(scope="module")
def wav(tmp_path_factory) -> bytes:
    return render_media.tone(tmp_path_factory.mktemp("unit-media") / "tone.wav", 2.0).read_bytes()


def _file(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def _rows() -> list[RenderJob]:
    return list(db.session.scalars(select(RenderJob)))


def test_a_new_job_with_payments_off_is_stored_and_queued_once(unit, wav):
    _app, twins = unit
    user = factories.make_user()
    job = create_render(user, audio=_file(wav, "Tone.wav"), config={"template": "bars", "fps": 24},
                        images={"background": _file(render_media.image_bytes(), "bg.png")})
    assert (job.status, job.attempts, job.priority) == (RenderStatus.QUEUED, 1, "high")
    assert set(twins.storage.objects) == {audio_key(user.id, job.id, "wav"),
                                          image_key(user.id, job.id, "background")}
    assert twins.storage.content_types[job.audio_key] == "audio/wav"
    assert job.background_key == image_key(user.id, job.id, "background")
    (queued,) = twins.dispatcher.of_task(render_job_task)
    assert (queued.id, queued.args, queued.origin) == (f"render-{job.id}-1", (str(job.id), 1), "high")
    assert queued.timeout == job_timeout(2.0, "1920x1080", 24)
    with pytest.raises(Conflict):  # queued already: never twice
        queue_render(job)
    assert len(twins.dispatcher.jobs) == 1


@pytest.mark.parametrize(("audio", "config", "error", "code"), [
    (b"this is not audio at all\n" * 50, {"template": "bars"}, UnsupportedMedia, "unsupported_audio"),
    (None, {"template": "bars", "fps": 25}, InvalidField, "invalid_render_config"),
    (None, {"template": "no-such-template"}, InvalidField, "invalid_render_config"),
])
def test_a_refused_upload_leaves_no_row_no_object_and_nothing_queued(unit, wav, audio, config,
                                                                     error, code):
    _app, twins = unit
    with pytest.raises(error) as refused:
        create_render(factories.make_user(), audio=_file(audio or wav, "x.wav"), config=config)
    assert refused.value.code == code
    assert _rows() == [] and twins.storage.objects == {} and twins.dispatcher.jobs == {}


def test_a_row_committed_before_a_failure_keeps_its_objects(unit, wav):
    _app, twins = unit
    twins.dispatcher.fail_with = RuntimeError("the queue broke after the commit")
    with pytest.raises(RuntimeError):
        create_render(factories.make_user(), audio=_file(wav, "a.wav"), config={"template": "wave"})
    (row,) = _rows()
    assert row.status == RenderStatus.QUEUED and set(twins.storage.objects) == {row.audio_key}


def test_retry_starts_a_new_attempt_until_the_cap_and_cancel_takes_it_off_the_queue(unit):
    _app, twins = unit
    job = factories.make_render_job(status=RenderStatus.FAILED, attempts=1)
    retry_render(job)
    assert (job.status, job.attempts) == (RenderStatus.QUEUED, 2)
    assert list(twins.dispatcher.jobs) == [f"render-{job.id}-2"]
    with pytest.raises(Conflict) as not_failed:
        retry_render(job)
    assert not_failed.value.code == "invalid_render_state"
    cancel_render(job)
    assert job.status == RenderStatus.CANCELED and twins.dispatcher.jobs == {}

    worn_out = factories.make_render_job(status=RenderStatus.FAILED, attempts=MAX_ATTEMPTS)
    with pytest.raises(Conflict) as capped:
        retry_render(worn_out)
    assert capped.value.code == "retry_limit_reached"
    retry_render(worn_out, admin=True)  # an administrator may go past it, on the high queue
    assert worn_out.attempts == MAX_ATTEMPTS + 1 and worn_out.priority == "high"


def test_a_completed_render_is_handed_to_delivery_once_even_when_claimed_again(unit, tmp_path):
    _app, twins = unit
    job = factories.make_render_job(status=RenderStatus.AWAITING_PAYMENT)
    queue_render(job)
    rq_job_id = job.rq_job_id
    claimed = execution.claim_render(job.id, rq_job_id)
    assert claimed.status == RenderStatus.RENDERING
    video = tmp_path / "video.mp4"
    video.write_bytes(b"\x00" * 100)
    key = f"renders/{job.user_id}/{job.id}.mp4"
    twins.storage.put_file(key, video, content_type="video/mp4")
    assert execution.complete_render(claimed, rq_job_id, output_key=key, size=100, duration=2.0,
                                     checksum="abc")
    assert execution.claim_render(job.id, rq_job_id) is None  # RQ ran the attempt again
    assert not execution.complete_render(claimed, "render-stale-1", output_key=key, size=1,
                                         duration=1.0, checksum="x")
    emails = list(db.session.scalars(select(EmailDelivery)))
    assert [e.kind for e in emails] == ["video_ready"]
    assert len(twins.dispatcher.of_task(send_email)) == 1
    assert job.video_expires_at is not None


def test_a_stale_attempt_cannot_claim_the_row(unit):
    job = factories.make_render_job(status=RenderStatus.QUEUED, rq_job_id="render-x-2")
    assert execution.claim_render(job.id, "render-x-1") is None
    assert execution.claim_render(uuid.uuid4(), "render-x-2") is None
    assert db.session.get(RenderJob, job.id).status == RenderStatus.QUEUED


@pytest.mark.parametrize(("engine_error", "status", "code"), [
    (AudioUnsupported(details={"field": "audio"}), 415, "unsupported_audio"),
    (AudioTooLong("Too long.", fields={"audio": ["At most 10 s."]}, details={"limit_seconds": 10}),
     422, "audio_too_long"),
    (RenderConfigInvalid(fields={"config.fps": ["Must be one of 24, 30, 60."]}), 422,
     "invalid_render_config"),
])
def test_the_engines_input_errors_become_the_api_errors_a_client_gets(engine_error, status, code):
    error = api_error(engine_error)
    assert isinstance(error, ApiError) and (error.status, error.code) == (status, code)
    assert error.message == engine_error.message
    body = error.to_dict()["error"]
    assert body["details"] == ({**engine_error.details, "fields": engine_error.fields}
                               if engine_error.fields else engine_error.details)
