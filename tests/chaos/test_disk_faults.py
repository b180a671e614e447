"""The render temp disk fills up in the middle of a render: the attempt fails with a clear
error, leaves no temp files, and the retry (space back) completes the order once."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.chaos.orders import FAST_CLOCK, SMALL, horse_pid, row, verdict
from tests.integration.renders.conftest import upload
from tests.support import render_media
from tests.support.worker_process import WorkerProcess, wait_for, worker_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory) -> Path:
    """Twenty seconds: time to fill the disk while frames are still being made."""
    return render_media.tone(tmp_path_factory.mktemp("chaos-disk") / "twenty.mp3", 20.0,
                             extra=("-b:a", "64k"))


@pytest.fixture
def small_disk(tmp_path):
    """A 256 MB tmpfs of the test's own (root may mount one; nothing else is touched)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs for the full-disk scenario needs root")
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    """Take every free byte but ``leave`` (what another process filling /tmp does)."""
    filler = disk / "filler"
    with open(filler, "wb") as out:
        chunk = b"\0" * (1 << 16)
        try:
            while True:
                out.write(chunk)
                out.flush()
        except OSError:
            pass
    with open(filler, "r+b") as out:
        out.truncate(max(0, filler.stat().st_size - leave))
    return filler


def test_temp_disk_full_mid_render(chaos, app, client, small_disk, long_clip, user_factory, auth_headers,
                                   redis_conn, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_TMP_DIR", str(small_disk))
    temp = small_disk / "waveframe"
    worker = WorkerProcess(worker_env(app, RENDER_TMP_DIR=str(small_disk), **FAST_CLOCK),
                           tmp_path / "worker.log").start()
    try:
        for _ in range(chaos.trials):
            user = user_factory()
            job_id = upload(client, auth_headers(user), long_clip, config=SMALL).json["id"]
            # The disk fills as the attempt starts, leaving a random part of what the render
            # writes (the 20 s video is ~1.3 MB), so the write fails at a random point.
            leave = chaos.rng.randint(0, 1_000_000)
            wait_for(lambda: row(job_id).status == "rendering", timeout=120, interval=0.05,
                     message="render started")
            filler = _fill(small_disk, leave)
            ended = wait_for(lambda: ((j := row(job_id)).error_code or j.status == "completed")
                             and j, timeout=120, message="the attempt failed")
            error = (ended.error_code, ended.error_message)
            wait_for(lambda: horse_pid(worker.pid, redis_conn) is None, timeout=60,
                     message="the work horse ended")
            left = sorted(str(p.relative_to(temp)) for p in (temp / "work").iterdir())
            filler.unlink()  # space back; RQ retries the attempt
            outcome, detail = verdict(job_id, user, Path(app.config["OUTBOX_DIR"]), timeout=240)
            if left or error[0] != "disk_full" or "disk space" not in error[1]:
                outcome = "lost"  # an unclear error or leftovers count against the scenario
            chaos.record(outcome, f"{leave} bytes left free: error {error}, temp left {left}; {detail}")
    finally:
        worker.stop()
    chaos.assert_all_once()
