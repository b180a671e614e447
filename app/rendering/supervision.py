"""Supervision of one render: the processes it started, its deadline, and the watchdog thread.

The main thread polls cancel/timeout between frame batches; the watchdog covers what polling
cannot: a page, Playwright call or FFmpeg that stops answering.
"""

from __future__ import annotations

import logging
import threading
import time

from app.rendering.capture import CaptureSession

log = logging.getLogger(__name__)

STALL_SECONDS = 120.0  # a capture with no new frame for this long is declared hung and killed


class RenderSupervisor:
    """One render's processes and deadline, shared between the main thread and its watchdog."""

    def __init__(self, deadline: float | None):
        self.deadline = deadline
        self.lock = threading.Lock()
        self.session: CaptureSession | None = None
        self.processes: list = []
        self.timed_out = False
        self.stalled = False
        self.last_beat: float | None = None
        self.finished = threading.Event()

    def beat(self) -> None:
        """The capture made progress (called on every batch)."""
        self.last_beat = time.monotonic()

    def track(self, process) -> None:
        with self.lock:
            self.processes.append(process)

    def kill_processes(self) -> None:
        with self.lock:
            processes = list(self.processes)
        for process in processes:
            if process.poll() is None:
                process.kill()

    def kill_all(self) -> None:
        with self.lock:
            session = self.session
        if session is not None:
            session.kill()
        self.kill_processes()

    def watch(self) -> None:
        """Watchdog thread: a hung page, Playwright call or FFmpeg cannot block past the deadline.

        One second after the deadline it kills the browser and FFmpeg (the blocked call in the
        main thread then fails); three seconds later, Playwright's driver as well.
        """
        killed_at = None
        while not self.finished.wait(0.25):
            deadline = self.deadline
            now = time.monotonic()
            stalled = self.last_beat is not None and now - self.last_beat > STALL_SECONDS
            if not stalled and (deadline is None or now < deadline + 1.0):
                continue
            if killed_at is None:
                self.stalled, self.timed_out = stalled, not stalled
                log.warning("render_watchdog_kill")
                self.kill_all()
                killed_at = now
            elif now > killed_at + 3.0:
                log.warning("render_watchdog_kill_driver")
                with self.lock:
                    session = self.session
                if session is not None:
                    session.kill(include_driver=True)
                return
