"""How much a render is: the seconds of audio it renders and the worker time it is allowed.

Pure functions of a job's config, shared by the queueing of whole renders and of their chunks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

SHORT_RENDER_SECONDS = 60  # below this much (trimmed) audio a job goes to the high queue
LONG_RENDER_SECONDS = 600  # from this much on it goes to the low queue
MIN_JOB_TIMEOUT = 300
MAX_JOB_TIMEOUT = 12 * 3600
# Worker seconds budgeted per second of 1280x720 video at 30 fps (renders run ~1x real time;
# this leaves room for a slow, busy machine).
TIMEOUT_SECONDS_PER_VIDEO_SECOND = 4.0
REFERENCE_PIXELS = 1280 * 720


def render_seconds(config: Mapping, audio_duration: float) -> float:
    """Seconds of audio a job renders: its trim range, else the whole audio."""
    end = config.get("trim_end")
    end = audio_duration if end is None else min(float(end), audio_duration)
    return max(end - float(config.get("trim_start") or 0), 0.0)


def job_timeout(seconds: float, size: str, fps: int) -> int:
    """RQ's hard limit for one render: grows with audio length, resolution and frame rate."""
    width, height = (int(v) for v in str(size).lower().split("x"))
    scale = (width * height / REFERENCE_PIXELS) * (int(fps) / 30)
    budget = MIN_JOB_TIMEOUT + seconds * TIMEOUT_SECONDS_PER_VIDEO_SECOND * scale
    return int(min(MAX_JOB_TIMEOUT, math.ceil(budget)))
