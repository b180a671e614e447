"""The worker's warm browser (app/rendering/warm.py): renders attach to it instead of launching
Chromium, it is reused across renders, discarded on any failure, and closing it leaves nothing."""

from __future__ import annotations

import os
import signal
import time

import pytest

from app.rendering import proc, warm
from app.rendering.errors import RenderCanceled
from app.rendering.pipeline import render_video
from tests.integration.rendering.conftest import CHROMIUM

pytestmark = pytest.mark.slow

CONFIG = {"template": "bars", "size": "720x720", "fps": 24}


def living(pids: set[int]) -> set[int]:
    return {pid for pid in pids if proc.alive(pid)}


def renderers(browser: warm.WarmBrowser) -> set[int]:
    """The browser's page (renderer) processes."""
    found = set()
    for pid in browser.pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"--type=renderer" in fh.read():
                    found.add(pid)
        except OSError:
            pass
    return found


@pytest.fixture
def browser():
    before = proc.descendants()
    shared = warm.WarmBrowser(CHROMIUM, max_jobs=2).start()
    warm.install(shared)
    yield shared
    warm.install(None)
    shared.close()
    assert living(proc.descendants() - before) == set()


def test_renders_attach_to_the_warm_browser_and_leave_only_it(browser, media, tmp_path):
    root = browser.pid
    idle = renderers(browser)
    for index in range(2):
        before = proc.descendants()  # the run's own services (emulators, private servers) stay
        result = render_video(media["music"], tmp_path / f"out{index}.mp4", CONFIG, chromium_path=CHROMIUM)
        assert result.frame_count == 48
        assert browser.pid == root  # reused, not relaunched
        # the render's Playwright driver and its page's renderer are gone; only the browser stays
        extra = lambda: living(proc.descendants() - before) - browser.pids()  # noqa: E731
        deadline = time.monotonic() + 10
        while extra() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert extra() == set()
        assert renderers(browser) <= idle  # the job's page went with its context
    browser.after_job(failed=False)
    browser.after_job(failed=False)  # the job budget (2) is spent: a fresh browser
    assert browser.pid != root and browser.alive() and not proc.alive(root)


def test_a_failed_render_discards_the_warm_browser(browser, media, tmp_path):
    root, pids = browser.pid, browser.pids()
    capturing = []  # canceled once frames are being captured (not after a number of polls: a
    # fast machine finished the whole render within 40 of them)
    with pytest.raises(RenderCanceled):
        render_video(media["long"], tmp_path / "out.mp4", CONFIG, chromium_path=CHROMIUM,
                     progress=lambda update: update.frames_done > 0 and capturing.append(True),
                     should_cancel=lambda: bool(capturing))
    assert living(pids) == set()  # killed, with every process under it
    assert warm.current() is None  # the next render launches its own until the worker restarts one
    browser.after_job(failed=True)
    assert browser.alive() and browser.pid != root


def test_a_render_in_a_killed_child_process_leaves_nothing_beyond_the_browser(browser, media, tmp_path):
    """As in the worker: a forked work horse renders on the shared browser and is SIGKILLed."""
    idle = renderers(browser)
    before = proc.descendants()
    marker = tmp_path / "started"
    pid = os.fork()
    if pid == 0:  # the work horse
        try:
            render_video(media["long"], tmp_path / "out.mp4", CONFIG, chromium_path=CHROMIUM,
                         progress=lambda u: u.frames_done > 10 and marker.touch())
        finally:
            os._exit(0)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert time.monotonic() < deadline, "render did not start"
        time.sleep(0.05)
    horse_tree = proc.descendants(pid)
    assert horse_tree and not (horse_tree & browser.pids())  # its driver is its own, Chromium is not
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    deadline = time.monotonic() + 15
    while (living(horse_tree) or renderers(browser) - idle) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert living(horse_tree) == set()  # the driver went with the horse
    assert renderers(browser) <= idle  # Chromium dropped the page (disposeOnDetach)
    assert living(proc.descendants() - before) - browser.pids() == set()
