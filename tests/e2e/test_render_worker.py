"""Render jobs through a real worker process: full path, priorities, cancel, SIGKILL, FLUSHDB."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from app.adapters import get_storage
from app.extensions import db
from app.models import RenderJob
from app.renders import recovery as render_recovery
from app.renders.queueing import queue_render
from app.renders.workspace import sha256_file
from app.tasks.jobs import fetch_job
from tests.integration.renders.conftest import upload
from tests.support import render_media
from tests.support.worker_process import WorkerProcess, process_tree, wait_for, worker_env

SMALL = {"template": "bars", "size": "720x720", "fps": 24}


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {"two": render_media.tone(folder / "two.mp3", 2.0, extra=("-b:a", "64k")),
            "ten": render_media.tone(folder / "ten.mp3", 10.0, extra=("-b:a", "64k"))}


@pytest.fixture
def render_tmp(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_TMP_DIR", str(tmp_path / "render-tmp"))
    return tmp_path / "render-tmp" / "waveframe"


@pytest.fixture
def workers(app, tmp_path, render_tmp):
    started: list[WorkerProcess] = []

    def start(*, burst: bool = False, **env: str) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        worker = WorkerProcess(worker_env(app, **env), log, burst=burst).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def row(job_id) -> RenderJob:
    db.session.rollback()
    return db.session.get(RenderJob, uuid.UUID(str(job_id)), populate_existing=True)


def probe(path: Path) -> dict:
    result = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                             "-show_streams", str(path)], capture_output=True, check=True, timeout=30)
    return json.loads(result.stdout)


def assert_video_stored(job: RenderJob, tmp_path: Path, audio_seconds: float, fps: int = 24) -> None:
    key = f"renders/{job.user_id}/{job.id}.mp4"
    assert job.output_key == key
    local = tmp_path / f"{job.id}.mp4"
    get_storage().download_to(key, local)
    assert local.stat().st_size == job.output_size
    assert sha256_file(local) == job.output_checksum
    info = probe(local)
    kinds = {s["codec_type"]: s for s in info["streams"]}
    assert kinds["video"]["codec_name"] == "h264"
    assert (kinds["video"]["width"], kinds["video"]["height"]) == (720, 720)
    assert kinds["audio"]["codec_name"] == "aac"
    assert float(info["format"]["duration"]) == pytest.approx(audio_seconds, abs=2.0 / fps + 0.05)


def wait_for_status(client, headers, job_id, statuses, *, timeout: float, seen: list | None = None):
    def check():
        body = client.get(f"/api/v1/renders/{job_id}", headers=headers).json
        if seen is not None:
            seen.append((body["status"], body["progress"], body["eta_seconds"]))
        return body if body["status"] in statuses else None
    return wait_for(check, timeout=timeout, interval=0.25, message=f"status in {statuses}")


def test_upload_to_completed_video_with_a_real_worker(client, app, user_factory, auth_headers,
                                                      clips, workers, render_tmp, tmp_path):
    user = user_factory()
    headers = auth_headers(user)
    created = upload(client, headers, clips["two"], config={**SMALL, "title": "<i>E2E</i>"})
    assert created.status_code == 201, created.json
    job_id = created.json["id"]
    worker = workers()
    seen: list = []
    body = wait_for_status(client, headers, job_id, {"completed", "failed"}, timeout=180, seen=seen)
    assert body["status"] == "completed", worker.output()[-4000:]
    assert body["progress"] == 100 and body["error"] is None and body["attempts"] == 1
    assert "rendering" in {s for s, _, _ in seen}
    assert body["started_at"] and body["completed_at"] and body["queued_at"]
    job = row(job_id)
    assert_video_stored(job, tmp_path, job.audio_duration)
    # the per-job temp dir and the kept output are gone
    wait_for(lambda: not any((render_tmp / "work").iterdir()), timeout=10, message="work dir removed")
    assert not (render_tmp / "outputs" / job_id).exists()


def test_a_high_job_enqueued_after_a_low_one_runs_first(paying_client, paying_app, user_factory,
                                                        auth_headers, clips, workers):
    user = user_factory()
    headers = auth_headers(user)
    # payments on: uploads wait unqueued until this test queues them (as a paid webhook does)
    # two different orders (an identical second one would get the first job back)
    low_id = upload(paying_client, headers, clips["two"], config={**SMALL, "title": "low"}).json["id"]
    high_id = upload(paying_client, headers, clips["two"], config={**SMALL, "title": "high"}).json["id"]
    queue_render(row(low_id), priority="low")
    queue_render(row(high_id))  # 2 s of audio: the high queue
    assert row(low_id).priority == "low" and row(high_id).priority == "high"
    worker = workers(burst=True, STRIPE_SECRET_KEY=paying_app.config["STRIPE_SECRET_KEY"],
                     STRIPE_API_BASE=paying_app.config["STRIPE_API_BASE"])
    assert worker.wait(timeout=240) == 0, worker.output()[-4000:]
    low, high = row(low_id), row(high_id)
    assert (low.status, high.status) == ("completed", "completed"), worker.output()[-4000:]
    assert high.started_at < high.completed_at <= low.started_at


def _has_chromium(pid: int) -> bool:
    for child in process_tree(pid):
        try:
            if "chrom" in Path(f"/proc/{child}/comm").read_text():
                return True
        except OSError:
            continue
    return False


def test_cancel_stops_a_running_render_and_cleans_up(client, app, user_factory, auth_headers, clips,
                                                     workers, render_tmp):
    user = user_factory()
    headers = auth_headers(user)
    config = {"template": "bars", "size": "1280x720", "fps": 60}
    job_id = upload(client, headers, clips["ten"], config=config).json["id"]
    worker = workers()
    wait_for(lambda: row(job_id).status == "rendering" and row(job_id).progress > 0, timeout=120,
             interval=0.1, message="render in progress")
    response = client.post(f"/api/v1/renders/{job_id}/cancel", headers=headers)
    assert response.status_code == 200
    assert response.json["status"] == "canceled"
    rq_job = fetch_job(row(job_id).rq_job_id)
    # a bound for a loaded machine (bench/stop_bench.py measures the real latency)
    wait_for(lambda: rq_job.get_status(refresh=True) == "finished", timeout=60,
             message="the worker stopped the render")
    assert rq_job.return_value() == "canceled"
    assert '"render_stopped"' in worker.output()  # stopped part-way...
    assert '"render_output_kept"' not in worker.output()  # ...not rendered to the end first
    wait_for(lambda: not _has_chromium(worker.pid), timeout=30, message="browser gone")
    job = row(job_id)
    assert job.status == "canceled" and job.output_key is None and job.completed_at is None
    assert not get_storage().exists(f"renders/{user.id}/{job_id}.mp4")
    assert list((render_tmp / "work").iterdir()) == []
    assert not (render_tmp / "outputs" / job_id).exists()
    assert client.post(f"/api/v1/renders/{job_id}/cancel", headers=headers).status_code == 409


def test_sigkill_mid_render_is_recovered_and_completed_once(client, app, user_factory, auth_headers,
                                                            clips, workers, render_tmp, tmp_path,
                                                            monkeypatch):
    user = user_factory()
    headers = auth_headers(user)
    job_id = upload(client, headers, clips["ten"], config=SMALL).json["id"]
    doomed = workers()
    wait_for(lambda: row(job_id).status == "rendering" and _has_chromium(doomed.pid), timeout=120,
             interval=0.1, message="render with a browser running")
    doomed.kill_tree()
    assert row(job_id).status == "rendering"  # nobody told Postgres

    monkeypatch.setitem(app.config, "RENDER_RECONCILE_GRACE_SECONDS", 0)
    monkeypatch.setitem(app.config, "RENDER_STALE_SECONDS", 600)
    assert render_recovery.reconcile_render_jobs()["requeued"] == 0  # its heartbeat is recent
    monkeypatch.setitem(app.config, "RENDER_STALE_SECONDS", 3)
    wait_for(lambda: render_recovery.reconcile_render_jobs()["requeued"] == 1, timeout=30,
             interval=0.5, message="reconciler requeued the dead attempt")
    assert fetch_job(f"render-{job_id}-1") is None  # the dead attempt cannot come back
    assert row(job_id).status == "queued" and row(job_id).attempts == 2

    survivor = workers()
    body = wait_for_status(client, headers, job_id, {"completed", "failed"}, timeout=180)
    assert body["status"] == "completed", survivor.output()[-4000:]
    assert body["attempts"] == 2
    assert render_recovery.reconcile_render_jobs()["requeued"] == 0
    job = row(job_id)
    assert_video_stored(job, tmp_path, job.audio_duration)
    assert [o.key for o in get_storage().list(f"renders/{user.id}/")] == [job.output_key]
    assert fetch_job(f"render-{job_id}-2").get_status() == "finished"

    # the killed attempt's work folder is left behind; maintenance removes it once it is old
    leftover = list((render_tmp / "work").iterdir())
    assert leftover, "expected the killed worker's temp folder"
    for path in leftover:
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    assert render_recovery.cleanup_render_temp_files()["work"] == len(leftover)
    assert list((render_tmp / "work").iterdir()) == []


def test_flushdb_loses_the_queue_and_the_reconciler_restores_it(client, app, user_factory,
                                                               auth_headers, clips, workers,
                                                               redis_conn, monkeypatch):
    user = user_factory()
    headers = auth_headers(user)
    job_id = upload(client, headers, clips["two"], config=SMALL).json["id"]
    assert fetch_job(f"render-{job_id}-1") is not None
    redis_conn.flushdb()
    assert fetch_job(f"render-{job_id}-1") is None
    monkeypatch.setitem(app.config, "RENDER_RECONCILE_GRACE_SECONDS", 0)
    assert render_recovery.reconcile_render_jobs()["requeued"] == 1
    assert render_recovery.reconcile_render_jobs()["requeued"] == 0  # once
    worker = workers(burst=True)
    assert worker.wait(timeout=180) == 0, worker.output()[-4000:]
    job = row(job_id)
    assert job.status == "completed", worker.output()[-4000:]
    assert job.attempts == 2


def test_worker_killed_and_redis_flushed_then_a_fresh_worker_recovers_every_queued_job(
        client, app, user_factory, auth_headers, clips, workers, redis_conn):
    """The outside review's case: no job may wait for an idle worker's maintenance pass."""
    user = user_factory()
    headers = auth_headers(user)
    clock = {"RENDER_RECONCILE_EVERY_SECONDS": "3", "RENDER_RECONCILE_GRACE_SECONDS": "8"}
    doomed = workers(**clock)
    wait_for(lambda: redis_conn.keys("rq:worker:*"), timeout=60, message="worker registered")
    doomed.kill_tree()
    job_ids = [upload(client, headers, clips["two"], config=SMALL).json["id"] for _ in range(2)]
    assert {row(j).status for j in job_ids} == {"queued"}
    redis_conn.flushdb()  # the run's own Redis database: queue, registries, locks all gone
    fresh = workers(**clock)  # its start-up pass sees the jobs inside the grace and leaves them
    for job_id in job_ids:
        body = wait_for_status(client, headers, job_id, {"completed", "failed"}, timeout=240)
        assert body["status"] == "completed", fresh.output()[-4000:]
        assert body["attempts"] == 2
    assert '"render_requeued"' in fresh.output()


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _warm_root(worker_pid: int) -> int | None:
    """The worker's own Chromium child (the warm browser), if it runs."""
    for pid in process_tree(worker_pid):
        if "chrom" in _comm(pid) and _parent(pid) == worker_pid and _alive(pid):
            return pid
    return None


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def test_warm_browser_sigkilled_horse_leaves_only_the_warm_browser_and_worker_exit_none(
        client, app, user_factory, auth_headers, clips, workers):
    """A work horse SIGKILLed mid-render (OOM killer, RQ's death penalty) attached to the worker's
    warm Chromium: its Playwright driver and page die with it, the worker recycles the browser
    (a failed job), and nothing else stays; after the worker exits, not even the browser."""
    user = user_factory()
    headers = auth_headers(user)
    worker = workers(RENDER_WARM_BROWSER="1")
    first = wait_for(lambda: _warm_root(worker.pid), timeout=60, message="warm browser started")
    warm_before = {first, *process_tree(first)}
    job_id = upload(client, headers, clips["ten"], config={**SMALL, "fps": 60}).json["id"]
    wait_for(lambda: row(job_id).status == "rendering" and row(job_id).progress > 0, timeout=120,
             interval=0.1, message="render in progress")
    horses = [pid for pid in process_tree(worker.pid)
              if _parent(pid) == worker.pid and any(_comm(c).startswith("node") for c in process_tree(pid))]
    assert len(horses) == 1, [(p, _comm(p)) for p in process_tree(worker.pid)]
    horse = horses[0]
    horse_tree = set(process_tree(horse))
    assert any(_comm(pid).startswith("node") for pid in horse_tree)  # the render's Playwright driver
    assert not any("chrom" in _comm(pid) for pid in horse_tree)  # it attached, it did not launch
    warm_during = {first, *process_tree(first)}
    assert warm_during - warm_before, "the render's page runs in the warm browser"
    os.kill(horse, signal.SIGKILL)

    # the horse's driver exits with it, the job counts as failed and the browser is recycled
    wait_for(lambda: not any(_alive(pid) for pid in horse_tree | {horse}), timeout=30,
             message="the killed horse's processes gone")
    wait_for(lambda: not any(_alive(pid) for pid in warm_during), timeout=30,
             message="the used browser recycled")
    second = wait_for(lambda: _warm_root(worker.pid), timeout=60, message="a fresh warm browser")
    assert second != first

    def only_warm_browser_left() -> bool:
        warm = {second, *process_tree(second)}
        others = [pid for pid in process_tree(worker.pid) if pid not in warm and _alive(pid)]
        # the RQ scheduler (a Python child of the worker) may run; nothing else may
        return all(_comm(pid).startswith("python") or _comm(pid).startswith("rq") for pid in others) \
            and not any(_comm(pid).startswith(("node", "ffmpeg")) for pid in others)
    wait_for(only_warm_browser_left, timeout=30, message="nothing but the warm browser left")
    warm_after = {second, *process_tree(second)}

    worker.stop()
    assert worker.process.poll() is not None
    wait_for(lambda: not any(_alive(pid) for pid in warm_after), timeout=15,
             message="the warm browser gone with the worker")
