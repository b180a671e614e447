"""Small statistics for the admin pages: percentiles and hourly buckets."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation between the closest ranks (numpy's
    default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def hourly_counts(moments: Iterable[datetime], start: datetime, hours: int) -> list[int]:
    """How many ``moments`` fall in each hour ``[start + i h, start + (i+1) h)``."""
    counts = [0] * hours
    for moment in moments:
        index = math.floor((moment - start) / timedelta(hours=1))
        if 0 <= index < hours:
            counts[index] += 1
    return counts
