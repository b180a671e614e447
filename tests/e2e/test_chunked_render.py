"""Chunked rendering through real RQ worker processes: a 25-second clip with
RENDER_CHUNK_SECONDS=10 is three chunks and a join, compared frame by frame with the unchunked
render of the same config; a SIGKILLed chunk costs only that chunk; cancel stops everything; and
``flask render --workers 2`` gives the same video."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import signal
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from app.adapters import get_storage
from app.delivery.job_storage import chunk_audio_key, chunks_prefix
from app.extensions import db
from app.models import ChunkStatus, RenderChunk, RenderJob
from app.rendering.pipeline import render_video
from app.renders.chunking import audio_rq_job_id
from app.renders.cli import render_command
from app.tasks.jobs import fetch_job
from app.tasks.queues import all_queues
from tests.integration.renders.conftest import upload
from tests.support import render_media
from tests.support.worker_process import WorkerProcess, process_tree, wait_for, worker_env

pytestmark = pytest.mark.slow

CONFIG = {"template": "bars", "size": "720x720", "fps": 24}
SECONDS = 25.0
FRAMES = math.ceil(SECONDS * CONFIG["fps"])  # 600
CHUNK_SECONDS = "10"  # 240 + 240 + 120 frames
JOINTS = (240, 480)
# kick + bass + noise hits: every frame moves
MUSIC = ("0.6*sin(2*PI*(45+60*exp(-30*mod(t,0.5)))*t)*exp(-7*mod(t,0.5))"
         "+0.15*sin(2*PI*220*t)+0.2*(random(0)-0.5)*exp(-30*mod(t+0.25,0.5))")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("chunked")
    return render_media.ffmpeg(folder / "music.m4a", "-f", "lavfi", "-i",
                               f"aevalsrc='{MUSIC}':s=44100:d={SECONDS}:c=stereo",
                               "-c:a", "aac", "-b:a", "96k")


@pytest.fixture(scope="module")
def unchunked(clip, tmp_path_factory) -> Path:
    """The reference: the same config rendered in one piece by the engine."""
    out = tmp_path_factory.mktemp("reference") / "unchunked.mp4"
    render_video(clip, out, CONFIG)
    return out


@pytest.fixture
def chunked_app(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_CHUNK_SECONDS", int(CHUNK_SECONDS))
    monkeypatch.setitem(app.config, "RENDER_TMP_DIR", str(tmp_path / "render-tmp"))
    return app


@pytest.fixture
def render_tmp(chunked_app, tmp_path) -> Path:
    return tmp_path / "render-tmp" / "waveframe"


@pytest.fixture
def workers(chunked_app, tmp_path, render_tmp):
    started: list[WorkerProcess] = []

    def start(**env: str) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        env = worker_env(chunked_app, RENDER_CHUNK_SECONDS=CHUNK_SECONDS, **env)
        worker = WorkerProcess(env, log).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


# --- what a viewer would see --------------------------------------------------------------------
def decode_frames(path: Path) -> np.ndarray:
    """Every video frame as grey pixels (one uint8 plane per frame)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True, timeout=120).stdout
    width, height = (int(v) for v in CONFIG["size"].split("x"))
    return np.frombuffer(out, dtype=np.uint8).reshape(-1, height, width)


def ssim_per_frame(a: Path, b: Path) -> list[tuple[float, float]]:
    """FFmpeg's SSIM of frame i of ``a`` against frame i of ``b``: (luma, all planes)."""
    by_number = "[0:v]setpts=N/TB[a];[1:v]setpts=N/TB[b];[a][b]ssim=stats_file=-"  # frame i with i
    result = subprocess.run(["ffmpeg", "-v", "error", "-i", str(a), "-i", str(b), "-lavfi", by_number,
                             "-f", "null", "-"],
                            capture_output=True, check=True, timeout=180, text=True)
    pairs = re.findall(r"Y:([0-9.]+) .*All:([0-9.]+)", result.stdout)
    return [(float(y), float(every)) for y, every in pairs]


def streams(path: Path) -> dict:
    result = subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-show_streams", "-of", "json",
                             str(path)], capture_output=True, check=True, timeout=30)
    return {s["codec_type"]: s for s in json.loads(result.stdout)["streams"]}


def assert_same_video(chunked: Path, reference: Path) -> None:
    """Exactly ceil(duration x fps) frames, each one the reference's frame (no frame duplicated
    or missing at a joint), and sound as long as the picture within one frame."""
    info = streams(chunked)
    assert int(info["video"]["nb_read_packets"]) == FRAMES
    assert abs(float(info["video"]["duration"]) - float(info["audio"]["duration"])) <= 1 / CONFIG["fps"]
    assert float(info["video"]["duration"]) == pytest.approx(SECONDS, abs=1 / CONFIG["fps"])
    scores = ssim_per_frame(chunked, reference)
    assert len(scores) == FRAMES
    # The in-page encoder is not deterministic: two unchunked renders of this config differ too
    # (luma SSIM >= 0.997, all planes >= 0.9907 frame by frame), so every frame must be the
    # reference's by luma SSIM >= 0.99, and by all planes within that noise.
    luma = [y for y, _ in scores]
    every = [a for _, a in scores]
    worst = min(range(FRAMES), key=luma.__getitem__)
    assert luma[worst] >= 0.99, f"frame {worst}: luma SSIM {luma[worst]:.4f}"
    worst = min(range(FRAMES), key=every.__getitem__)
    assert every[worst] >= 0.985, f"frame {worst}: SSIM {every[worst]:.4f}"
    assert sum(every) / FRAMES >= 0.99
    # a frame shifted by one at a joint would match its neighbour better than itself
    ours, theirs = decode_frames(chunked), decode_frames(reference)
    assert len(ours) == len(theirs) == FRAMES
    def distance(x: np.ndarray, y: np.ndarray) -> float:
        return float(np.abs(x.astype(int) - y).mean())

    for joint in JOINTS:
        for i in range(joint - 2, joint + 2):
            for j in (i - 1, i + 1):
                if distance(theirs[i], theirs[j]) > 0.5:  # the two frames differ to the eye
                    assert distance(ours[i], theirs[i]) < distance(ours[i], theirs[j]), \
                        f"frame {i} looks like frame {j}"


# --- helpers over the rows ----------------------------------------------------------------------
def row(job_id) -> RenderJob:
    db.session.rollback()
    return db.session.get(RenderJob, uuid.UUID(str(job_id)), populate_existing=True)


def chunks(job_id) -> list[RenderChunk]:
    db.session.rollback()
    query = (select(RenderChunk).where(RenderChunk.render_job_id == uuid.UUID(str(job_id)))
             .order_by(RenderChunk.position).execution_options(populate_existing=True))
    return list(db.session.scalars(query))


def stored_chunk_objects(job: RenderJob) -> list[str]:
    return [o.key for o in get_storage().list(chunks_prefix(job.user_id, job.id))]


def queued_ids() -> set[str]:
    ids: set[str] = set()
    for queue in all_queues():
        ids |= set(queue.get_job_ids())
        ids |= set(queue.scheduled_job_registry.get_job_ids())
        ids |= set(queue.deferred_job_registry.get_job_ids())
    return ids


def wait_done(client, headers, job_id, timeout: float, seen: list | None = None) -> dict:
    def check():
        body = client.get(f"/api/v1/renders/{job_id}", headers=headers).json
        if seen is not None:
            seen.append((body["status"], body["progress"], body["eta_seconds"]))
        return body if body["status"] in {"completed", "failed", "canceled"} else None
    return wait_for(check, timeout=timeout, interval=0.25, message="render finished")


def download(job: RenderJob, folder: Path) -> Path:
    return get_storage().download_to(job.output_key, folder / f"{job.id}.mp4")


def horse_of(worker: WorkerProcess) -> int | None:
    """The worker's work horse rendering a chunk right now (its child with a browser under it)."""
    for pid in process_tree(worker.pid):
        try:
            if int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) != worker.pid:
                continue
        except OSError:
            continue
        if any("chrom" in _comm(child) for child in process_tree(pid)):
            return pid
    return None


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return ""


# --- the tests ----------------------------------------------------------------------------------
def test_a_long_render_is_three_chunks_on_two_workers_and_equals_the_unchunked_one(
        client, chunked_app, user_factory, auth_headers, clip, unchunked, workers, render_tmp, tmp_path):
    user = user_factory()
    headers = auth_headers(user)
    created = upload(client, headers, clip, filename="music.m4a", config=CONFIG)
    assert created.status_code == 201, created.json
    job_id = created.json["id"]
    first, second = workers(), workers()
    seen: list = []
    body = wait_done(client, headers, job_id, timeout=240, seen=seen)
    assert body["status"] == "completed", first.output()[-3000:] + second.output()[-3000:]
    assert body["attempts"] == 1 and body["progress"] == 100

    parts = chunks(job_id)
    assert [(c.frame_start, c.frame_end) for c in parts] == [(0, 240), (240, 480), (480, 600)]
    assert all(c.status == ChunkStatus.DONE and c.enqueues == 1 for c in parts)
    # progress climbed over the chunks, with an ETA, while they rendered
    running = [p for s, p, _ in seen if s == "rendering"]
    assert any(0 < p < 100 for p in running) and running == sorted(running)
    assert any(eta is not None for s, p, eta in seen if s == "rendering" and p > 0)
    wait_for(lambda: '"render_join_done"' in first.output() + second.output(), timeout=10,
             message="the join logged")  # it logs right after it completes the row
    logs = first.output() + second.output()
    assert logs.count('"render_chunk_done"') == 3 and logs.count('"render_join_done"') == 1
    # split for the two workers listening (3 chunks: 4 would be shorter than 10 s each)
    assert re.search(r'"render_chunks_planned".*"chunks": 3, "frames": 600, "workers": 2', logs)
    # the audio was encoded once, by its own job, and the join copied it
    assert logs.count('"render_audio_done"') == 1 and '"render_join_encodes_audio"' not in logs

    job = row(job_id)
    video = download(job, tmp_path)
    assert_same_video(video, unchunked)
    # nothing of the chunks is left: no segment objects, no temp folders, no kept output
    assert stored_chunk_objects(job) == []
    wait_for(lambda: not any((render_tmp / "work").iterdir()), timeout=10, message="work dirs removed")
    assert not (render_tmp / "outputs" / job_id).exists()

    # joints: frames around each one, for a look (see the report)
    joints = tmp_path / "joints"
    joints.mkdir()
    for joint in JOINTS:
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-vf",
                        f"select='between(n\\,{joint - 1}\\,{joint})',tile=2x1", "-frames:v", "1",
                        str(joints / f"joint-{joint}.png")], check=True, timeout=60)
    if os.environ.get("WAVEFRAME_KEEP_JOINTS"):
        for png in joints.iterdir():
            (Path(os.environ["WAVEFRAME_KEEP_JOINTS"]) / png.name).write_bytes(png.read_bytes())


def test_a_sigkilled_chunk_is_rendered_again_alone_and_the_job_completes_once(
        client, chunked_app, user_factory, auth_headers, clip, unchunked, workers, tmp_path):
    user = user_factory()
    headers = auth_headers(user)
    job_id = upload(client, headers, clip, filename="music.m4a", config=CONFIG).json["id"]
    pair = [workers(), workers()]
    # kill one work horse (and its browser) while it draws a chunk that has frames done
    wait_for(lambda: any(c.status == ChunkStatus.RENDERING and c.frames_done > 0 for c in chunks(job_id))
             and any(horse_of(w) for w in pair), timeout=120, interval=0.1, message="a chunk rendering")
    horse = next(h for h in (horse_of(w) for w in pair) if h)
    doomed = [horse, *process_tree(horse)]
    for pid in doomed:  # frozen at once: the chunk cannot finish while the audio is looked at
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGSTOP)
    # and the audio job's object is lost: the join must encode the audio itself
    audio_key = chunk_audio_key(user.id, uuid.UUID(job_id), 1)
    wait_for(lambda: get_storage().exists(audio_key), timeout=60, message="the audio stored")
    get_storage().delete(audio_key)
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    body = wait_done(client, headers, job_id, timeout=240)
    logs = lambda: pair[0].output() + pair[1].output()  # noqa: E731
    assert body["status"] == "completed", logs()[-4000:]
    assert body["attempts"] == 1  # the render was not started over

    wait_for(lambda: '"render_join_done"' in logs(), timeout=10, message="the join logged")
    started = re.findall(r'"render_chunk_start".*?"chunk": (\d+)', logs())
    # the killed chunk ran twice (RQ retried it alone), every other chunk once
    assert sorted(started.count(str(c.position)) for c in chunks(job_id)) == [1, 1, 2]
    assert all(c.enqueues == 1 for c in chunks(job_id))  # RQ's retry, not a re-plan
    assert 'Work-horse terminated unexpectedly' in logs()
    assert logs().count('"render_join_done"') == 1
    assert logs().count('"render_join_encodes_audio"') == 1
    job = row(job_id)
    assert [o.key for o in get_storage().list(f"renders/{user.id}/")] == [job.output_key]
    assert stored_chunk_objects(job) == []
    assert_same_video(download(job, tmp_path), unchunked)


def test_cancel_during_chunking_stops_every_chunk_and_leaves_nothing(
        client, chunked_app, user_factory, auth_headers, clip, workers, render_tmp):
    user = user_factory()
    headers = auth_headers(user)
    # a chunk of CONFIG renders in ~1.2 s, its progress written about once a second: the cancel
    # could land after it, between two chunks; at 1280x720 60 fps a chunk takes several seconds
    slow = {**CONFIG, "size": "1280x720", "fps": 60}
    job_id = upload(client, headers, clip, filename="music.m4a", config=slow).json["id"]
    worker = workers()  # one worker: one chunk renders, the others wait on the queue
    wait_for(lambda: any(c.frames_done > 0 for c in chunks(job_id)), timeout=120, interval=0.1,
             message="a chunk rendering")
    ids = [c.rq_job_id for c in chunks(job_id)] + [audio_rq_job_id(job_id, 1)]
    response = client.post(f"/api/v1/renders/{job_id}/cancel", headers=headers)
    assert response.status_code == 200 and response.json["status"] == "canceled"
    assert not set(ids) & queued_ids()  # no queued children
    wait_for(lambda: '"render_chunk_stopped"' in worker.output(), timeout=60,
             message="the running chunk stopped")
    wait_for(lambda: horse_of(worker) is None, timeout=30, message="browser gone")
    job = row(job_id)
    assert job.status == "canceled" and job.output_key is None
    assert stored_chunk_objects(job) == []  # no segment, features or plan objects
    assert not get_storage().exists(f"renders/{user.id}/{job_id}.mp4")
    wait_for(lambda: not any((render_tmp / "work").iterdir()), timeout=10, message="no temp folders")
    assert not (render_tmp / "outputs" / job_id).exists()
    assert '"render_join_done"' not in worker.output()
    assert all(fetch_job(i) is None or fetch_job(i).get_status() != "queued" for i in ids)


def test_flask_render_with_two_workers_equals_the_unchunked_render(app, runner, clip, unchunked, tmp_path):
    out = tmp_path / "cli.mp4"
    result = runner.invoke(render_command, [str(clip), "-o", str(out), "--template", "bars", "--size",
                                            "720x720", "--fps", "24", "--workers", "2",
                                            "--chunk-seconds", CHUNK_SECONDS])
    assert result.exit_code == 0, result.output
    assert "chunks:    3 on 2 processes" in result.output
    assert_same_video(out, unchunked)
