"""Metrics recorded in a real worker process show on the web's /metrics."""

from __future__ import annotations

import pytest

from tests.integration.renders.conftest import upload
from tests.support import render_media
from tests.support.metrics import scrape
from tests.support.worker_process import WorkerProcess, worker_env

SMALL = {"template": "bars", "size": "720x720", "fps": 24}


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    return render_media.tone(tmp_path_factory.mktemp("metrics-clip") / "two.mp3", 2.0,
                             extra=("-b:a", "64k"))


def test_a_render_by_a_worker_process_moves_the_web_histograms(client, app, user_factory,
                                                               auth_headers, clip, tmp_path,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_TMP_DIR", str(tmp_path / "render-tmp"))
    before = scrape(client)
    assert before.value("waveframe_render_duration_seconds_count", template="bars") == 0

    created = upload(client, auth_headers(user_factory()), clip, config=SMALL)
    assert created.status_code == 201, created.json
    worker = WorkerProcess(worker_env(app), tmp_path / "worker.log", burst=True).start()
    try:  # a burst worker renders, sends the "video ready" email, and exits when idle
        assert worker.wait(timeout=240) == 0, worker.output()[-4000:]
    finally:
        worker.stop()

    after = scrape(client)
    bars = {"template": "bars"}
    assert after.value("waveframe_render_duration_seconds_count", **bars) == 1
    assert after.value("waveframe_render_duration_seconds_sum", **bars) > 0
    assert after.value("waveframe_render_realtime_factor_count", **bars) == 1
    assert after.value("waveframe_render_realtime_factor_sum", **bars) > 0
    assert after.value("waveframe_render_outcomes_total", template="bars", status="completed") == 1
    assert after.value("waveframe_queue_wait_seconds_count", queue="high",
                       task="render_job_task") == 1
    assert after.value("waveframe_emails_total", kind="video_ready", result="sent") == 1
    assert after.value("waveframe_render_jobs", status="completed") == 1
