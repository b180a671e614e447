"""Splitting a render into frame ranges: every frame once, in order, joints on keyframes."""

from __future__ import annotations

import math

import pytest

from app.rendering.chunks import FrameRange, chunk_frames, is_chunked, key_interval, split_frames


def covered(ranges: list[FrameRange]) -> list[int]:
    return [i for r in ranges for i in range(r.start, r.end)]


def assert_partition(ranges: list[FrameRange], frame_count: int) -> None:
    assert covered(ranges) == list(range(frame_count))  # no frame missing, none twice
    assert [r.index for r in ranges] == list(range(len(ranges)))
    assert all(r.frames > 0 for r in ranges)


def test_a_duration_that_is_not_a_multiple_of_the_chunk_leaves_a_shorter_last_chunk():
    # 25 s at 24 fps, chunks of 10 s: 240 + 240 + 120 frames
    ranges = split_frames(600, 24, 10)
    assert [(r.start, r.end) for r in ranges] == [(0, 240), (240, 480), (480, 600)]
    assert_partition(ranges, 600)


def test_an_exact_multiple_makes_equal_chunks():
    ranges = split_frames(1800, 30, 60)
    assert [(r.start, r.end) for r in ranges] == [(0, 1800)]
    assert [(r.start, r.end) for r in split_frames(3600, 30, 60)] == [(0, 1800), (1800, 3600)]


def test_a_one_frame_last_chunk_is_merged_into_the_chunk_before():
    # 120 s and one frame at 30 fps: not a chunk of its own (a browser start for one frame)
    ranges = split_frames(3601, 30, 60)
    assert [(r.start, r.end) for r in ranges] == [(0, 1800), (1800, 3601)]
    assert_partition(ranges, 3601)


def test_a_tail_of_a_quarter_chunk_or_more_stays_its_own_chunk():
    size = chunk_frames(30, 60)
    merged = split_frames(2 * size + size // 4 - 1, 30, 60)
    kept = split_frames(2 * size + size // 4, 30, 60)
    assert len(merged) == 2 and len(kept) == 3
    assert_partition(merged, 2 * size + size // 4 - 1)
    assert_partition(kept, 2 * size + size // 4)


@pytest.mark.parametrize("fps", [24, 30, 60])
@pytest.mark.parametrize("chunk_seconds", [7, 10, 60, 61.3])
def test_every_joint_is_on_a_keyframe_of_the_unchunked_render(fps, chunk_seconds):
    frames = 11 * 60 * fps + 7
    ranges = split_frames(frames, fps, chunk_seconds)
    assert_partition(ranges, frames)
    assert all(r.start % key_interval(fps) == 0 for r in ranges)
    assert all(r.frames >= chunk_frames(fps, chunk_seconds) for r in ranges[:-1])


@pytest.mark.parametrize(("trim_start", "trim_end"), [(0.0, 25.0), (3.5, 28.5), (1.25, 21.3)])
def test_a_trimmed_render_is_split_over_its_trimmed_frames_only(trim_start, trim_end):
    # the engine counts frames from the trim start: ceil(trimmed duration x fps) of them
    frames = math.ceil((trim_end - trim_start) * 24)
    ranges = split_frames(frames, 24, 10)
    assert ranges[0].start == 0 and ranges[-1].end == frames
    assert_partition(ranges, frames)


def test_a_render_no_longer_than_one_chunk_is_not_split():
    assert split_frames(1, 30, 60) == [FrameRange(0, 0, 1)]
    assert split_frames(1800, 30, 60) == [FrameRange(0, 0, 1800)]
    assert not is_chunked(60.0, 60) and is_chunked(60.01, 60)
    assert not is_chunked(3600, 0)  # 0 turns splitting off


def test_chunk_sizes_are_whole_keyframe_intervals():
    assert chunk_frames(30, 60) == 1800
    assert chunk_frames(24, 10) == 240
    assert chunk_frames(30, 1) == 60  # at least one keyframe interval
    assert chunk_frames(30, 61) == 1800  # rounded to the nearest interval


@pytest.mark.parametrize("bad", [(0, 30, 60), (10, 0, 60), (10, 30, 0)])
def test_nonsense_is_refused(bad):
    with pytest.raises(ValueError):
        split_frames(*bad)
