"""Percentiles and hourly buckets of the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.admin.stats import hour_floor, hourly_counts, percentile


def test_percentile_interpolates_between_the_closest_ranks():
    assert percentile([], 50) is None
    assert percentile([7], 95) == 7
    assert percentile([40, 10, 30, 20], 50) == 25
    assert percentile([10, 20, 30, 40], 95) == 38.5
    assert percentile([1, 2, 3], 0) == 1 and percentile([1, 2, 3], 100) == 3


def test_hourly_buckets_are_half_open_and_ignore_moments_outside():
    start = datetime(2026, 11, 30, 10, tzinfo=UTC)
    moments = [start, start + timedelta(minutes=59, seconds=59), start + timedelta(hours=1),
               start - timedelta(seconds=1), start + timedelta(hours=3)]

    assert hourly_counts(moments, start, 3) == [2, 1, 0]
    assert hour_floor(datetime(2026, 11, 30, 10, 59, 59, 9, tzinfo=UTC)) == start
