"""Per-video-frame audio features, computed once from PCM decoded by FFmpeg.

Frame ``i`` covers samples ``[floor(i*sr/fps), floor((i+1)*sr/fps))`` -- integer arithmetic, so
there is no drift however long the audio is. The PCM is streamed through in blocks and the
features are written out as they are computed, so memory stays flat for hour-long files.

Each frame is one fixed-size little-endian record (:data:`FEATURE_DTYPE`); the visualizer page
reads the same layout (``app/static/visualizer/features.js``).
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.rendering.errors import AudioUnsupported, RenderFailed
from app.rendering.proc import FFMPEG

log = logging.getLogger(__name__)

N_BANDS = 64
WAVE_POINTS = 256
BAND_MIN_HZ = 30.0
BAND_MAX_HZ = 16000.0
MAX_ANALYSIS_RATE = 48000
BLOCK_SECONDS = 2
SPECTRUM_SPLIT = 16  # a block of at least twice this many frames has its spectra taken in two threads

FEATURE_DTYPE = np.dtype(
    [
        ("bands", "<u2", (N_BANDS,)),  # smoothed log-band level, 0..65535 = 0..1
        ("wave", "i1", (WAVE_POINTS,)),  # waveform slice, normalised by wave_peak, -127..127
        ("wave_peak", "<u2"),  # peak |sample| of the slice, 0..65535 = 0..1
        ("rms", "<u2"),  # smoothed loudness, 0..1 on a -60..0 dBFS scale
        ("onset", "<u2"),  # spectral-flux onset strength relative to the recent peak, 0..1
        ("pulse", "<u2"),  # beat envelope: jumps on strong onsets, decays over ~0.3 s
        (
            "phase",
            "<f4",
        ),  # loudness-weighted running time in seconds, for motion that speeds up with the music
        ("reserved", "<u4"),
    ]
)
assert FEATURE_DTYPE.itemsize == 400


def frame_bounds(i: int, sample_rate: int, fps: int) -> tuple[int, int]:
    """Sample range ``[start, end)`` of video frame ``i``."""
    return (i * sample_rate) // fps, ((i + 1) * sample_rate) // fps


def frame_count(n_samples: int, sample_rate: int, fps: int) -> int:
    """``ceil(duration * fps)`` for ``n_samples`` samples, exactly."""
    return -(-n_samples * fps // sample_rate)


def analysis_rate(source_rate: int) -> int:
    return min(int(source_rate), MAX_ANALYSIS_RATE)


@dataclass(frozen=True)
class Smoothing:
    band_attack: float = 0.012  # seconds
    band_release: float = 0.20
    rms_attack: float = 0.010
    rms_release: float = 0.30
    pulse_decay: float = 0.30
    onset_peak_decay: float = 3.0
    pulse_threshold: float = 0.45


def _coef(tau: float, fps: int) -> float:
    return 1.0 - math.exp(-1.0 / (tau * fps))


class FrameAnalyzer:
    """Streaming feature extractor: feed mono float32 blocks, get finished frame records back."""

    def __init__(self, sample_rate: int, fps: int, smoothing: Smoothing | None = None):
        if sample_rate <= 0 or fps <= 0:
            raise ValueError("sample_rate and fps must be positive")
        self.sr, self.fps = int(sample_rate), int(fps)
        self.sm = smoothing or Smoothing()
        self.nfft = 1 << max(8, math.ceil(math.log2(self.sr * 0.085)))
        self.window = np.hanning(self.nfft).astype(np.float32)
        self._power_norm = (self.window.sum() / 2.0) ** 2
        self._band_matrix, centres = _band_matrix(self.sr, self.nfft)
        # +3 dB/octave around 1 kHz: music is "pink", this keeps the treble visible.
        self._tilt = (3.0 * np.log2(centres / 1000.0)).astype(np.float32)
        half = self.nfft // 2
        # absolute sample index of _buf[0]; the stream starts with half a window of silence
        self._buf = np.zeros(half, dtype=np.float32)
        self._buf_start = -half
        self._received = 0
        self.next_frame = 0
        self._bands = np.zeros(N_BANDS, dtype=np.float32)
        self._prev_raw = np.zeros(N_BANDS, dtype=np.float32)
        self._rms = 0.0
        self._onset_peak = 0.05
        self._pulse = 0.0
        self._phase = 0.0

    @property
    def samples_received(self) -> int:
        return self._received

    def _needed_end(self, i: int) -> int:
        start, end = frame_bounds(i, self.sr, self.fps)
        return max(end, (start + end) // 2 + self.nfft // 2)

    def feed(self, samples: np.ndarray) -> np.ndarray:
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        self._buf = np.concatenate([self._buf, samples]) if self._buf.size else samples.copy()
        self._received += samples.size
        last = self.next_frame
        while self._needed_end(last) <= self._received:
            last += 1
        return self._emit(last)

    def finish(self) -> np.ndarray:
        """Frames up to ``ceil(n*fps/sr)``, zero-padding after the last sample."""
        total = frame_count(self._received, self.sr, self.fps)
        if total > self.next_frame:
            pad = max(0, self._needed_end(total - 1) - self._received)
            self._buf = np.concatenate([self._buf, np.zeros(pad, dtype=np.float32)])
        return self._emit(total)

    def _emit(self, stop: int) -> np.ndarray:
        if stop <= self.next_frame:
            return np.zeros(0, dtype=FEATURE_DTYPE)
        idx = np.arange(self.next_frame, stop, dtype=np.int64)
        starts = (idx * self.sr) // self.fps
        ends = ((idx + 1) * self.sr) // self.fps
        out = np.zeros(idx.size, dtype=FEATURE_DTYPE)
        buf, base = self._buf, self._buf_start
        # --- loudness and waveform slice from the frame's own samples
        csum = np.concatenate([[0.0], np.cumsum(buf, dtype=np.float64)])
        csq = np.concatenate([[0.0], np.cumsum(np.square(buf, dtype=np.float64))])
        lo, hi = starts - base, ends - base
        length = np.maximum(hi - lo, 1)
        rms = np.sqrt(np.maximum(csq[hi] - csq[lo], 0.0) / length)
        pts = lo[:, None] + (length[:, None] * np.arange(WAVE_POINTS + 1)[None, :]) // WAVE_POINTS
        seg_len = np.maximum(np.diff(pts, axis=1), 1)
        wave = (csum[pts[:, 1:]] - csum[pts[:, :-1]]) / seg_len
        wave = np.where(np.diff(pts, axis=1) > 0, wave, buf[np.minimum(pts[:, :-1], buf.size - 1)])
        peak = np.maximum(np.abs(wave).max(axis=1), 1e-9)
        out["wave"] = np.clip(np.round(wave / peak[:, None] * 127.0), -127, 127).astype(np.int8)
        out["wave_peak"] = _u16(np.minimum(peak, 1.0))
        # --- spectrum: Hann-windowed FFT centred on the frame, log-spaced bands in dB
        centres = (starts + ends) // 2 - base
        if centres.size >= 2 * SPECTRUM_SPLIT:  # NumPy's FFT and matmul let go of the GIL
            halves = np.array_split(centres, 2)
            raw_bands = np.concatenate(list(_spectrum_pool().map(self._raw_bands, [buf, buf], halves)))
        else:
            raw_bands = self._raw_bands(buf, centres)
        rms_level = np.clip((20.0 * np.log10(rms + 1e-9) + 60.0) / 60.0, 0.0, 1.0)
        self._smooth(out, raw_bands, rms_level)
        self.next_frame = stop
        # keep only what the next frame still needs
        keep_from = min(
            frame_bounds(stop, self.sr, self.fps)[0],
            sum(frame_bounds(stop, self.sr, self.fps)) // 2 - self.nfft // 2,
        )
        drop = max(0, keep_from - self._buf_start)
        if drop:
            self._buf = self._buf[drop:]
            self._buf_start += drop
        return out

    def _raw_bands(self, buf: np.ndarray, centres: np.ndarray) -> np.ndarray:
        """Unsmoothed band levels (0..1) of the windows centred on ``centres`` (indices in buf)."""
        win_idx = centres[:, None] - self.nfft // 2 + np.arange(self.nfft)[None, :]
        frames = buf[win_idx] * self.window
        power = np.square(np.abs(np.fft.rfft(frames, axis=1))) / self._power_norm
        band_db = 10.0 * np.log10(power @ self._band_matrix.T + 1e-12) + self._tilt
        return np.clip((band_db + 66.0) / 56.0, 0.0, 1.0).astype(np.float32)

    def _smooth(self, out: np.ndarray, raw_bands: np.ndarray, rms_level: np.ndarray) -> None:
        sm, fps = self.sm, self.fps
        b_att, b_rel = _coef(sm.band_attack, fps), _coef(sm.band_release, fps)
        r_att, r_rel = _coef(sm.rms_attack, fps), _coef(sm.rms_release, fps)
        pulse_keep = math.exp(-1.0 / (sm.pulse_decay * fps))
        peak_keep = math.exp(-1.0 / (sm.onset_peak_decay * fps))
        bands_out = np.empty_like(raw_bands)
        scalars = np.empty((raw_bands.shape[0], 4), dtype=np.float64)
        bands, prev, level = self._bands, self._prev_raw, self._rms
        for k in range(raw_bands.shape[0]):
            raw = raw_bands[k]
            coef = np.where(raw > bands, b_att, b_rel)
            bands = bands + (raw - bands) * coef
            bands_out[k] = bands
            flux = float(np.maximum(raw - prev, 0.0).mean())
            prev = raw
            self._onset_peak = max(flux, self._onset_peak * peak_keep, 0.02)
            onset = min(flux / self._onset_peak, 1.0)
            target = float(rms_level[k])
            level += (target - level) * (r_att if target > level else r_rel)
            trigger = onset if onset >= sm.pulse_threshold else 0.0
            self._pulse = max(trigger, self._pulse * pulse_keep)
            self._phase += (0.25 + 1.75 * level) / fps
            scalars[k] = (level, onset, self._pulse, self._phase)
        self._bands, self._prev_raw, self._rms = bands, prev, level
        out["bands"] = _u16(bands_out)
        out["rms"] = _u16(scalars[:, 0])
        out["onset"] = _u16(scalars[:, 1])
        out["pulse"] = _u16(scalars[:, 2])
        out["phase"] = scalars[:, 3].astype(np.float32)


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _spectrum_pool() -> ThreadPoolExecutor:
    """Two threads for the spectra of a block's frames, made once per process (a forked RQ work
    horse makes its own: threads do not survive a fork)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="spectrum"))
        return _pool[1]


def _u16(values) -> np.ndarray:
    return np.clip(np.round(np.asarray(values) * 65535.0), 0, 65535).astype(np.uint16)


def _band_matrix(sr: int, nfft: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows average the FFT bins of each log-spaced band; a band narrower than a bin takes the nearest bin."""
    fmax = min(BAND_MAX_HZ, sr / 2 * 0.95)
    edges = BAND_MIN_HZ * (fmax / BAND_MIN_HZ) ** (np.arange(N_BANDS + 1) / N_BANDS)
    freqs = np.fft.rfftfreq(nfft, 1.0 / sr)
    matrix = np.zeros((N_BANDS, freqs.size), dtype=np.float32)
    for b in range(N_BANDS):
        inside = (freqs >= edges[b]) & (freqs < edges[b + 1])
        if inside.any():
            matrix[b, inside] = 1.0 / inside.sum()
        else:
            matrix[b, int(np.argmin(np.abs(freqs - math.sqrt(edges[b] * edges[b + 1]))))] = 1.0
    centres = np.sqrt(edges[:-1] * edges[1:])
    return matrix, centres


def analyze_blocks(
    blocks: Iterable[np.ndarray], sample_rate: int, fps: int, smoothing: Smoothing | None = None
) -> Iterator[np.ndarray]:
    """Stream mono float32 blocks through :class:`FrameAnalyzer`, yielding record arrays."""
    analyzer = FrameAnalyzer(sample_rate, fps, smoothing)
    for block in blocks:
        records = analyzer.feed(block)
        if records.size:
            yield records
    tail = analyzer.finish()
    if tail.size:
        yield tail


@dataclass
class Features:
    """Analysis result stored as a flat binary file of :data:`FEATURE_DTYPE` records."""

    path: Path
    fps: int
    sample_rate: int
    n_samples: int
    frame_count: int

    @property
    def duration(self) -> float:
        return self.n_samples / self.sample_rate

    def records(self) -> np.ndarray:
        if self.frame_count == 0:
            return np.zeros(0, dtype=FEATURE_DTYPE)
        return np.memmap(self.path, dtype=FEATURE_DTYPE, mode="r", shape=(self.frame_count,))

    def read_bytes(self, start: int, end: int) -> bytes:
        start, end = max(0, start), min(self.frame_count, end)
        if end <= start:
            return b""
        size = FEATURE_DTYPE.itemsize
        with open(self.path, "rb") as fh:
            fh.seek(start * size)
            return fh.read((end - start) * size)

    def header(self) -> dict:
        """What the page needs to read the records (see features.js)."""
        return {
            "fps": self.fps,
            "frameCount": self.frame_count,
            "sampleRate": self.sample_rate,
            "duration": self.duration,
            "recordSize": FEATURE_DTYPE.itemsize,
            "bands": N_BANDS,
            "wavePoints": WAVE_POINTS,
        }


def decode_pcm(
    audio_path: str | os.PathLike,
    sample_rate: int,
    *,
    trim_start: float = 0.0,
    trim_end: float | None = None,
    block_seconds: int = BLOCK_SECONDS,
    on_process=None,
) -> Iterator[np.ndarray]:
    """Mono float32 PCM blocks of the (trimmed) audio, decoded once by FFmpeg and streamed."""
    cmd = [FFMPEG, "-v", "error", "-nostdin"]
    if trim_start > 0:
        cmd += ["-ss", f"{trim_start:.6f}"]
    cmd += ["-i", str(audio_path), "-map", "0:a:0", "-vn", "-sn", "-dn"]
    if trim_end is not None:
        cmd += ["-t", f"{max(trim_end - trim_start, 0.0):.6f}"]
    cmd += ["-ac", "1", "-ar", str(sample_rate), "-f", "f32le", "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if on_process:
        on_process(proc)
    block_bytes = sample_rate * block_seconds * 4
    try:
        assert proc.stdout is not None
        _widen_pipe(proc.stdout, block_bytes)  # FFmpeg decodes the next block meanwhile
        pending = b""
        while True:
            chunk = proc.stdout.read(block_bytes)
            if not chunk:
                break
            chunk = pending + chunk
            usable = len(chunk) - len(chunk) % 4
            pending = chunk[usable:]
            yield np.frombuffer(chunk[:usable], dtype="<f4")
        stderr = proc.stderr.read() if proc.stderr else b""
        if proc.wait() != 0:
            raise AudioUnsupported("The audio could not be decoded.") from RenderFailed(
                detail=stderr.decode(errors="replace")[-500:]
            )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _widen_pipe(pipe, size: int) -> None:
    """Let the pipe hold a whole block (Linux: 64 KiB by default, capped by
    /proc/sys/fs/pipe-max-size for unprivileged processes); a smaller pipe is only slower."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    for wanted in (2 * size, size, 1 << 20):
        try:
            fcntl.fcntl(pipe.fileno(), set_size, wanted)
            return
        except OSError:
            continue


def analyze_file(
    audio_path: str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    fps: int,
    source_rate: int,
    trim_start: float = 0.0,
    trim_end: float | None = None,
    should_stop=None,
    on_process=None,
) -> Features:
    """Decode ``audio_path`` once and write its per-frame features to ``out_path``."""
    sr = analysis_rate(source_rate)
    analyzer = FrameAnalyzer(sr, fps)
    out_path = Path(out_path)
    with open(out_path, "wb") as out:
        for block in decode_pcm(
            audio_path, sr, trim_start=trim_start, trim_end=trim_end, on_process=on_process
        ):
            if should_stop:
                should_stop()
            records = analyzer.feed(block)
            if records.size:
                out.write(records.tobytes())
        tail = analyzer.finish()
        out.write(tail.tobytes())
    n = analyzer.samples_received
    if n == 0:
        raise AudioUnsupported("The selected range of the audio contains no samples.")
    features = Features(out_path, fps=fps, sample_rate=sr, n_samples=n, frame_count=analyzer.next_frame)
    log.info("analysis_done", extra={"frames": features.frame_count, "samples": n, "sample_rate": sr})
    return features
