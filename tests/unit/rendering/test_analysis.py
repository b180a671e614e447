"""Per-frame audio analysis: exact frame bounds, features, smoothing, bounded memory (no I/O)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest

from app.rendering import analysis
from app.rendering.analysis import (
    FEATURE_DTYPE,
    N_BANDS,
    WAVE_POINTS,
    FrameAnalyzer,
    analyze_blocks,
    frame_bounds,
    frame_count,
)


def run(signal: np.ndarray, sr: int, fps: int, block: int = 4096) -> np.ndarray:
    blocks = (signal[i : i + block] for i in range(0, len(signal), block))
    parts = list(analyze_blocks(blocks, sr, fps))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=FEATURE_DTYPE)


@pytest.mark.parametrize(("sr", "fps"), [(44100, 30), (48000, 24), (44100, 60), (22050, 24), (8000, 30)])
def test_frame_bounds_are_exact_and_contiguous_for_an_hour(sr, fps):
    frames = 3600 * fps
    starts, ends = frame_bounds(np.arange(frames, dtype=np.int64), sr, fps)  # every frame of it
    assert starts[0] == 0
    assert np.array_equal(starts[1:], ends[:-1])  # no gap, no overlap
    assert ends[-1] == 3600 * sr  # the last frame ends exactly on the last sample of the hour
    assert set(np.unique(ends - starts)) <= {sr // fps, -(-sr // fps)}
    for k in (0, 1, frames // 2, frames - 1):  # and the scalar form agrees
        assert frame_bounds(int(k), sr, fps) == (int(starts[k]), int(ends[k]))


def test_float_accumulation_would_drift_but_integer_bounds_do_not():
    sr, fps, frames = 44100, 30, 3600 * 30
    step = np.float32(sr / fps)
    drifted = np.cumsum(np.full(frames, step, dtype=np.float32), dtype=np.float32)[-1]
    assert abs(float(drifted) - 3600 * sr) > sr / fps  # a naive float32 running sum is off by > 1 frame
    assert frame_bounds(frames - 1, sr, fps)[1] == 3600 * sr


@pytest.mark.parametrize(
    ("n", "sr", "fps", "expected"),
    [
        (44100, 44100, 30, 30),
        (44101, 44100, 30, 31),
        (44099, 44100, 30, 30),
        (1, 44100, 24, 1),
        (8000 * 7 // 3, 8000, 30, 70),
        (0, 44100, 30, 0),
    ],
)
def test_frame_count_is_ceil_of_duration_times_fps(n, sr, fps, expected):
    assert frame_count(n, sr, fps) == expected


def test_one_hour_stream_has_no_drift():
    """Clicks placed on the first/last sample of frames late in an hour land in exactly those frames."""
    sr, fps = 8000, 30
    total = 3600 * sr
    clicks = {}
    for frame in (107_000, 107_500, 107_998):
        clicks[frame_bounds(frame, sr, fps)[0]] = frame  # first sample of the frame
    last_frame = 107_250
    clicks[frame_bounds(last_frame, sr, fps)[1] - 1] = last_frame  # last sample of the frame
    block = 10 * sr

    def blocks():
        for start in range(0, total, block):
            chunk = np.zeros(min(block, total - start), dtype=np.float32)
            for pos in clicks:
                if start <= pos < start + chunk.size:
                    chunk[pos - start] = 1.0
            yield chunk

    analyzer = FrameAnalyzer(sr, fps)
    rms = np.zeros(frame_count(total, sr, fps), dtype=np.uint16)
    peak_buffer = 0
    for chunk in blocks():
        out = analyzer.feed(chunk)
        done = analyzer.next_frame
        rms[done - out.size : done] = out["rms"]
        peak_buffer = max(peak_buffer, analyzer._buf.size)
    tail = analyzer.finish()
    rms[analyzer.next_frame - tail.size :] = tail["rms"]
    assert analyzer.next_frame == 108_000
    for frame in sorted(set(clicks.values())):
        assert rms[frame] > 0, frame
        assert rms[frame - 1] == 0, frame  # attack starts in exactly the click's frame
    # streaming kept only about one block plus one FFT window in memory
    assert peak_buffer <= block + analyzer.nfft + sr // fps


def test_sine_peaks_in_its_band_and_hann_window_keeps_far_bands_quiet():
    sr, fps = 44100, 30
    t = np.arange(sr * 2) / sr
    freq = 1000.0 + 0.5 * sr / 4096  # between two FFT bins: worst case for leakage
    records = run((0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr, fps)
    bands = records["bands"][30].astype(float) / 65535
    edges = 30.0 * (16000 / 30.0) ** (np.arange(N_BANDS + 1) / N_BANDS)
    band = int(np.searchsorted(edges, freq) - 1)
    assert int(np.argmax(bands)) == band
    assert bands[band] > 0.8
    far = [b for b in range(N_BANDS) if edges[b] > freq * 4 or edges[b + 1] < freq / 4]
    assert bands[far].max() < 0.05  # an unwindowed FFT would smear energy across the spectrum


def test_attack_is_fast_and_release_is_slow():
    sr, fps = 44100, 30
    t = np.arange(sr * 2) / sr
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    tone[sr:] = 0.0  # on for one second, then silence
    records = run(tone, sr, fps)
    level = records["rms"].astype(float) / 65535
    on = level[5:29].max()
    assert level[2] > 0.8 * on  # reaches the level within a couple of frames
    off = 31  # first frame fully after the tone stopped
    assert level[off] > 0.5 * on  # but lets go gradually
    assert level[off + 20] < 0.2 * on
    bands = records["bands"].astype(float).max(axis=1) / 65535
    assert bands[off + 1] > 0.3 and bands[off + 25] < 0.05


def test_onset_and_pulse_fire_on_a_hit_and_stay_quiet_in_silence():
    sr, fps = 44100, 30
    rng = np.random.default_rng(1)
    signal = np.zeros(sr * 2, dtype=np.float32)
    hit = frame_bounds(30, sr, fps)[0]
    signal[hit : hit + 2000] = rng.uniform(-0.8, 0.8, 2000) * np.exp(-np.arange(2000) / 500)
    records = run(signal, sr, fps)
    onset = records["onset"].astype(float) / 65535
    pulse = records["pulse"].astype(float) / 65535
    assert onset[:25].max() == 0 and pulse[:25].max() == 0
    assert onset[28:32].max() > 0.9
    hit_frame = 28 + int(np.argmax(pulse[28:32]))
    assert pulse[hit_frame] > 0.45
    assert 0 < pulse[hit_frame + 6] < pulse[hit_frame]  # decays


def test_waveform_slice_follows_the_frame_samples():
    sr, fps = 48000, 24
    n = sr // fps
    signal = np.zeros(n * 3, dtype=np.float32)
    signal[n : 2 * n] = np.linspace(-0.5, 0.5, n, dtype=np.float32)  # a ramp filling frame 1 exactly
    records = run(signal, sr, fps)
    wave = records["wave"][1].astype(float) / 127 * (records["wave_peak"][1] / 65535)
    assert wave.shape == (WAVE_POINTS,)
    assert np.all(np.diff(wave) >= 0)
    assert wave[0] == pytest.approx(-0.5, abs=0.01) and wave[-1] == pytest.approx(0.5, abs=0.01)
    assert not records["wave"][0].any() and not records["wave"][2].any()


def test_phase_never_decreases_and_runs_faster_when_loud():
    sr, fps = 22050, 30
    t = np.arange(sr * 4) / sr
    signal = (0.6 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    signal[: sr * 2] *= 0.0
    phase = run(signal, sr, fps)["phase"]
    assert np.all(np.diff(phase) > 0)
    assert (phase[110] - phase[90]) > 2 * (phase[50] - phase[30])


def test_block_size_does_not_change_the_result():
    sr, fps = 44100, 30
    rng = np.random.default_rng(7)
    signal = (rng.standard_normal(sr * 3) * 0.2).astype(np.float32)
    a = run(signal, sr, fps, block=1000)
    b = run(signal, sr, fps, block=sr * 3)
    assert a.size == b.size == frame_count(signal.size, sr, fps)
    assert a.tobytes() == b.tobytes()


def test_spectra_taken_in_two_threads_are_the_spectra_of_one(monkeypatch):
    sr, fps = 44100, 30
    rng = np.random.default_rng(11)
    t = np.arange(sr * 6) / sr
    signal = (0.3 * np.sin(2 * np.pi * 440 * t) * (t % 0.5 < 0.1) + rng.standard_normal(t.size) * 0.05)
    signal = signal.astype(np.float32)
    monkeypatch.setattr(analysis, "SPECTRUM_SPLIT", 10**9)
    one = run(signal, sr, fps, block=sr * 2)
    monkeypatch.setattr(analysis, "SPECTRUM_SPLIT", 1)
    seen = []
    real = FrameAnalyzer._raw_bands
    monkeypatch.setattr(FrameAnalyzer, "_raw_bands",
                        lambda self, buf, centres: seen.append(threading.current_thread().name)
                        or real(self, buf, centres))
    two = run(signal, sr, fps, block=sr * 2)
    assert one.size == two.size == 180
    assert one.tobytes() == two.tobytes()
    assert sum(name.startswith("spectrum") for name in seen) >= 2 * 3  # two halves per 2 s block


FEATURES_JS = Path(__file__).resolve().parents[3] / "app" / "static" / "visualizer" / "features.js"


def test_record_layout_matches_the_page():
    """The records the worker writes are read by the page with the offsets in features.js."""
    block = re.search(r"LAYOUT = Object\.freeze\(\{(.*?)\}\)", FEATURES_JS.read_text(), re.S)
    layout = {key: int(value) for key, value in re.findall(r"(\w+):\s*(\d+)", block.group(1))}
    offsets = {name: FEATURE_DTYPE.fields[name][1] for name in FEATURE_DTYPE.names}
    assert FEATURE_DTYPE.itemsize == layout["recordSize"]
    assert FEATURE_DTYPE.fields["bands"][0].shape == (layout["bands"],) == (N_BANDS,)
    assert FEATURE_DTYPE.fields["wave"][0].shape == (layout["wavePoints"],) == (WAVE_POINTS,)
    assert {name: offsets[name] for name in ("bands", "wave", "wave_peak", "rms", "onset", "pulse",
                                             "phase")} == {
        "bands": layout["offBands"], "wave": layout["offWave"], "wave_peak": layout["offPeak"],
        "rms": layout["offRms"], "onset": layout["offOnset"], "pulse": layout["offPulse"],
        "phase": layout["offPhase"]}
