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


# --- split for a fleet: the chunk count is a multiple of the workers ---------------------------
def test_ten_minutes_for_four_workers_is_twelve_even_chunks_not_ten_and_a_wasted_round():
    ranges = split_frames(18000, 30, 60, workers=4)  # 10 chunks of 60 s would take 3 rounds anyway
    assert len(ranges) == 12 and {r.frames for r in ranges} == {1500}
    assert_partition(ranges, 18000)


@pytest.mark.parametrize("frames", [18000, 18001, 2700, 11 * 60 * 24 + 7, 36000 - 1])
@pytest.mark.parametrize("workers", [2, 3, 4, 7, 8, 10, 64])
@pytest.mark.parametrize(("fps", "chunk_seconds"), [(30, 60), (24, 10), (60, 45)])
def test_a_fleet_split_keeps_every_rule_of_a_split(frames, workers, fps, chunk_seconds):
    plain = split_frames(frames, fps, chunk_seconds)
    ranges = split_frames(frames, fps, chunk_seconds, workers=workers)
    assert_partition(ranges, frames)
    assert all(r.start % key_interval(fps) == 0 for r in ranges)  # joints on keyframes
    assert len(ranges) >= len(plain)
    assert max(r.frames for r in ranges) <= max(r.frames for r in plain)  # never longer chunks
    if len(ranges) > len(plain):
        assert len(ranges) % workers == 0 or len(ranges) == frames // chunk_frames(fps, 10)
        sizes = [r.frames for r in ranges]
        assert max(sizes) - min(sizes) <= key_interval(fps) + frames % key_interval(fps)  # even rounds
        assert min(sizes) >= chunk_frames(fps, 10) - key_interval(fps)  # not shorter than ~10 s


def test_a_fleet_never_makes_chunks_of_a_few_seconds():
    # 25 s at 24 fps in 10 s chunks for 2 workers: 4 chunks would be 6 s each; it stays 3
    ranges = split_frames(600, 24, 10, workers=2)
    assert [(r.start, r.end) for r in ranges] == [(0, 240), (240, 480), (480, 600)]
    # 10 minutes for 100 workers: 60 chunks of 10 s, not 100 of 6 s
    assert {r.frames for r in split_frames(18000, 30, 60, workers=100)} == {300}


def test_one_worker_or_one_chunk_is_the_plain_split():
    assert split_frames(18000, 30, 60, workers=1) == split_frames(18000, 30, 60)
    assert split_frames(1800, 30, 60, workers=8) == [FrameRange(0, 0, 1800)]
    with pytest.raises(ValueError):
        split_frames(18000, 30, 60, workers=0)
