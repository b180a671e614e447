"""Fault injection: each scenario runs ``CHAOS_N`` trials (1 in ``make test``; ``make chaos``
sets 10) with its timing drawn from a seeded RNG (``CHAOS_SEED``), and reports, per scenario,
"N/N completed exactly once, 0 lost, 0 duplicated" -- one video, one fulfilment, one email per
order. The figures are printed at the end of the run (and written to ``CHAOS_REPORT`` if set).

Faults are injected only into things a test owns: its own worker processes, a private
redis-server (``tests/support/private_redis.py``), the fakes at the network edge.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.delivery.conftest import (  # noqa: F401  (fixtures, shared)
    finished_job,
    gcs,
    gcs_app,
    gcs_emulator,
    signing_key,
    video_bytes,
)
from tests.integration.payments.conftest import (  # noqa: F401  (fixtures, shared)
    fake_stripe,
    make_stripe_app,
    pay_client,
    pay_ctx,
    stripe_app,
)
from tests.support import render_media
from tests.support.fake_sendgrid import fake_sendgrid, fake_sendgrid_server  # noqa: F401

CHAOS_N = max(1, int(os.environ.get("CHAOS_N", "1")))
CHAOS_SEED = os.environ.get("CHAOS_SEED", "15")
_FIGURES: list[Tally] = []


@dataclass
class Tally:
    scenario: str
    rng: random.Random
    trials: int = CHAOS_N
    orders: int = 0
    once: int = 0
    lost: int = 0
    duplicated: int = 0
    notes: list[str] = field(default_factory=list)

    def record(self, outcome: str, note: str = "") -> None:
        """One order's outcome: "once", "lost" or "duplicated"."""
        assert outcome in {"once", "lost", "duplicated"}
        self.orders += 1
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome != "once":
            self.notes.append(f"order {self.orders}: {outcome} {note}".strip())

    @property
    def line(self) -> str:
        return (f"{self.once}/{self.orders} completed exactly once, {self.lost} lost, "
                f"{self.duplicated} duplicated")

    def assert_all_once(self) -> None:
        assert self.orders and self.once == self.orders, f"{self.scenario}: {self.line}; {self.notes}"


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    # long enough that a render lasts several seconds on a quiet machine too (progress is written
    # once a second; a fault must land mid-render, at a random point of it)
    return render_media.tone(tmp_path_factory.mktemp("chaos-clips") / "forty.mp3", 40.0,
                             extra=("-b:a", "64k"))


@pytest.fixture
def render_tmp(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_TMP_DIR", str(tmp_path / "render-tmp"))
    return tmp_path / "render-tmp" / "waveframe"


@pytest.fixture(autouse=True)
def _fast_render_retries(request, monkeypatch):
    """Renders queued by the test's app are retried after seconds, as its workers' are."""
    if "app" in request.fixturenames:
        from tests.chaos.orders import FAST_RETRIES
        monkeypatch.setitem(request.getfixturevalue("app").config, "RENDER_RETRY_INTERVALS",
                            FAST_RETRIES)


@pytest.fixture
def chaos(request) -> Tally:
    name = request.node.name.removeprefix("test_")
    tally = Tally(name, random.Random(f"{CHAOS_SEED}/{name}"))
    yield tally
    _FIGURES.append(tally)


def pytest_terminal_summary(terminalreporter):
    if not _FIGURES:
        return
    title = f"chaos: {CHAOS_N} trial(s) per scenario, seed {CHAOS_SEED}"
    terminalreporter.write_sep("=", title)
    rows = [(t.scenario, t.line) for t in _FIGURES]
    for scenario, line in rows:
        terminalreporter.write_line(f"{scenario:<56} {line}")
    report = os.environ.get("CHAOS_REPORT")
    if report:
        lines = ["| Fault | Result (orders) |", "|---|---|"]
        lines += [f"| {scenario} | {line} |" for scenario, line in rows]
        Path(report).write_text(title + "\n\n" + "\n".join(lines) + "\n")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/chaos/" in str(item.fspath):
            item.add_marker(pytest.mark.chaos)
