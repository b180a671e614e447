"""A warm Chromium per worker process, shared by the renders its forked work horses run.

RQ forks a work horse per job, and a Playwright connection cannot cross a fork, so the worker
process does not use Playwright at all: it starts Chromium itself (headless, DevTools on an
ephemeral port bound to 127.0.0.1, a throw-away profile) and keeps it between jobs. A render in
a work horse (:class:`app.rendering.capture.CaptureSession`) starts its own Playwright driver and
attaches with ``connect_over_cdp``: it gets a fresh browser context and page (Playwright creates
contexts with ``disposeOnDetach``, so when the horse or its driver dies, Chromium throws the
context and its renderer away by itself) and saves the Chromium launch (~1 s of the ~2 s start).

Life cycle and the kill-everything guarantee:
  * ``WarmBrowser.start()`` in the worker process; Chromium gets ``PR_SET_PDEATHSIG`` = SIGKILL,
    so even a SIGKILLed worker does not leave it behind;
  * after ``max_jobs`` jobs, or when a job failed (any error, a killed horse), the worker
    recycles it (:meth:`WarmBrowser.after_job`); a render that fails in the horse kills the
    shared browser itself (:func:`discard`), so a browser in an unknown state is never reused;
  * ``close()`` (worker teardown) SIGKILLs the browser and every process under it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from app.rendering import proc as procs

log = logging.getLogger(__name__)

START_SECONDS = 30.0
PR_SET_PDEATHSIG = 1

# what Playwright itself passes to Chromium (chromiumSwitches + headless), merged with the
# capture's own lock-down switches (dead proxy, no background work)
_FEATURES_OFF = "MediaRouter,OptimizationHints,Translate,PaintHolding,DestroyProfileOnBrowserClose"
SWITCHES = [
    "--headless",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-field-trial-config",
    "--disable-background-networking",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-back-forward-cache",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--disable-component-extensions-with-background-pages",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-sync",
    "--disable-quic",
    "--disable-domain-reliability",
    f"--disable-features={_FEATURES_OFF}",
    "--disable-hang-monitor",
    "--disable-ipc-flooding-protection",
    "--disable-popup-blocking",
    "--disable-prompt-on-repost",
    "--force-color-profile=srgb",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-service-autorun",
    "--password-store=basic",
    "--use-mock-keychain",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class WarmBrowser:
    """One long-lived headless Chromium that renders attach to over CDP (loopback only)."""

    def __init__(self, chromium_path: str = "/usr/bin/chromium", *, max_jobs: int = 50):
        self.chromium_path, self.max_jobs = chromium_path, max_jobs
        self.process: subprocess.Popen | None = None
        self.endpoint: str | None = None
        self.jobs = 0
        self.launches = 0
        self._profile: Path | None = None
        self._owner = os.getpid()

    # --- in the worker process ------------------------------------------------------------------
    def start(self) -> WarmBrowser:
        self.close()
        self._owner = os.getpid()
        self._profile = Path(tempfile.mkdtemp(prefix="waveframe-chromium-"))
        started = time.monotonic()
        # launched from the thread that lives as long as the worker (the death signal follows the
        # thread that forked), with no Python state of ours in the child
        self.process = subprocess.Popen(
            [self.chromium_path, *SWITCHES, f"--user-data-dir={self._profile}", "--no-startup-window"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        port_file = self._profile / "DevToolsActivePort"
        while True:
            if self.process.poll() is not None:
                self.close()
                raise RuntimeError("warm Chromium exited during start-up")
            try:
                port, path = port_file.read_text().split()[:2]
                break
            except (OSError, ValueError):
                pass
            if time.monotonic() - started > START_SECONDS:
                self.close()
                raise RuntimeError("warm Chromium did not open its DevTools port")
            time.sleep(0.02)
        self.endpoint = f"ws://127.0.0.1:{int(port)}{path}"
        self.jobs = 0
        self.launches += 1
        log.info("warm_browser_started", extra={"pid": self.process.pid,
                                                "seconds": round(time.monotonic() - started, 3)})
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def pids(self) -> set[int]:
        """Chromium and every process under it."""
        if not self.alive():
            return set()
        return {self.process.pid} | procs.descendants(self.process.pid)

    def ensure(self) -> WarmBrowser:
        """Running and under its job budget (start or recycle it otherwise)."""
        if not self.alive() or self.jobs >= self.max_jobs:
            if self.process is not None:
                log.info("warm_browser_recycled", extra={"jobs": self.jobs, "alive": self.alive()})
            self.start()
        return self

    def after_job(self, *, failed: bool) -> None:
        """Count a job; a failed one (or a dead browser, or the budget spent) recycles now, so
        the next job finds a fresh browser already started."""
        self.jobs += 1
        if failed or not self.alive() or self.jobs >= self.max_jobs:
            if failed:
                log.info("warm_browser_recycled", extra={"jobs": self.jobs, "reason": "job_failed"})
            self.close()
            self.start()

    def close(self) -> None:
        """SIGKILL Chromium and all its processes (only in the process that started it)."""
        process, self.process, self.endpoint = self.process, None, None
        if process is not None and os.getpid() == self._owner:
            victims = {process.pid} | procs.descendants(process.pid)
            procs.kill_pids(victims)
            procs.stop_process(process)
            deadline = time.monotonic() + 5
            while any(procs.alive(pid) for pid in victims - {process.pid}) and time.monotonic() < deadline:
                time.sleep(0.01)
        if self._profile is not None and os.getpid() == self._owner:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None


# --- the browser this process (or the worker that forked it) shares -----------------------------
_current: WarmBrowser | None = None


def install(browser: WarmBrowser | None) -> None:
    """Make ``browser`` the one renders in this process and its forked children attach to."""
    global _current
    _current = browser


def current() -> WarmBrowser | None:
    """The shared warm browser, if there is one and it is running."""
    browser = _current
    if browser is None or browser.endpoint is None or browser.pid is None or not procs.alive(browser.pid):
        return None
    return browser


def discard() -> None:
    """A render on the shared browser failed: kill it (every process under it), so nothing in an
    unknown state is reused; the worker process starts a new one after the job."""
    browser = _current
    if browser is None or browser.pid is None:
        return
    log.info("warm_browser_discarded", extra={"pid": browser.pid})
    pid = browser.pid
    procs.kill_pids({pid} | procs.descendants(pid))
    if os.getpid() == browser._owner:
        browser.close()
