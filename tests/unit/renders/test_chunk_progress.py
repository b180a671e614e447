"""Progress of a chunked render: the frames of every chunk count, the ETA follows their pace."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import utcnow
from app.renders.chunking import aggregate_progress


def test_nothing_drawn_yet_has_no_eta():
    assert aggregate_progress(0, 600, utcnow()) == (0.0, None)
    assert aggregate_progress(0, 0, None) == (0.0, None)


def test_half_the_frames_of_all_chunks_after_ten_seconds_leaves_ten_seconds():
    percent, eta = aggregate_progress(300, 600, utcnow() - timedelta(seconds=10))
    assert percent == 50.0
    assert eta == pytest.approx(10.0, abs=0.5)


def test_every_frame_drawn_stays_below_100_until_the_join_completes_the_job():
    percent, eta = aggregate_progress(600, 600, utcnow() - timedelta(seconds=30))
    assert percent == 99.0 and eta == pytest.approx(0.0)
