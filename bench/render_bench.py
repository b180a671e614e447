"""Render benchmark: Waveframe's render path next to FFmpeg's own ``showwaves`` in the same run.

    .venv/bin/python bench/render_bench.py [--seconds 30] [--sizes 1280x720,1920x1080] [--template bars]
                                           [--ssim-stride 3] [--x264] [--soak 600]

For each size it renders the same generated clip (kick, bass, chords, hats; AAC) at 30 fps:
  * ``showwaves``: ffmpeg showwaves -> libx264 veryfast crf 23 (+AAC), the reference speed;
  * ``waveframe``: ``render_video`` (auto encoder: in-page WebCodecs H.264 when available);
  * ``waveframe-x264`` (with --x264): the universal fallback (canvas JPEG -> libx264);
and prints wall time, frames/s, real-time factor (audio s / wall s), ratio to showwaves, peak
memory of the whole process tree (PSS summed over this process and every child, sampled every
1 s), output bytes and SSIM (Y/U/V "All") of every ``--ssim-stride``-th frame against a
lossless PNG capture of the same frames. ``--soak N`` renders an N-second clip at 720p and
prints memory per tenth of the render, to show it stays flat.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.rendering import encode, proc
from app.rendering.analysis import analyze_file
from app.rendering.capture import CaptureSession
from app.rendering.catalog import normalize_config
from app.rendering.pipeline import render_video

FPS = 30
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def music_expr(channel: int) -> str:
    """A synthetic 120 bpm track: pitched kick, bass, a slowly swelling chord, snare and hats."""
    return (
        f"0.55*sin(2*PI*(45+60*exp(-30*mod(t,0.5)))*t)*exp(-7*mod(t,0.5))"
        f"+0.12*sin(2*PI*110*t)*(0.6+0.4*sin(2*PI*0.25*t))"
        f"+0.06*(sin(2*PI*440*t)+sin(2*PI*554.37*t)+sin(2*PI*659.25*t))*(0.5+0.5*sin(2*PI*t/8+{channel}))"
        f"+0.15*(random({2 * channel})-0.5)*exp(-40*mod(t+0.25,0.5))"
        f"+0.04*(random({2 * channel + 1})-0.5)*exp(-25*mod(t,0.125))"
    )


def make_clip(path: Path, seconds: float) -> Path:
    expr = f"aevalsrc='{music_expr(0)}|{music_expr(1)}':s=44100:d={seconds}"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", expr, "-c:a", "aac", "-b:a", "160k", str(path)],
        check=True,
    )
    return path


class MemorySampler:
    """Peak PSS of a process tree, sampled in a thread."""

    # Reading smaps_rollup of a dozen Chromium processes costs ~35 ms of CPU; sampled every 0.1 s it
    # slowed the measured render by >10 %, so sample once a second (memory plateaus, it does not spike).
    def __init__(self, root: int | None = None, interval: float = 1.0):
        self.root, self.interval = root or os.getpid(), interval
        self.peak = 0
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        t0 = time.monotonic()
        while not self._stop.is_set():
            value = proc.tree_memory_bytes(self.root)
            self.peak = max(self.peak, value)
            self.samples.append((time.monotonic() - t0, value))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_showwaves(clip: Path, out: Path, size: str) -> dict:
    width, height = size.split("x")
    cmd = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-i",
        str(clip),
        "-filter_complex",
        f"[0:a]showwaves=s={width}x{height}:mode=cline:rate={FPS},fps={FPS},format=yuv420p[v]",
        "-map",
        "[v]",
        "-map",
        "0:a",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        *encode.AUDIO_CODEC,
        "-movflags",
        "+faststart",
        str(out),
    ]
    started = time.monotonic()
    process = subprocess.Popen(cmd)
    with MemorySampler(process.pid) as mem:
        process.wait()
    wall = time.monotonic() - started
    if process.returncode:
        raise SystemExit("showwaves failed")
    return {"wall": wall, "peak": mem.peak, "bytes": out.stat().st_size}


def lossless_reference(clip: Path, config: dict, frames: list[int], workdir: Path) -> Path:
    """PNG captures of ``frames`` (full-range RGB, as the page drew them) stored losslessly (FFV1)."""
    features = analyze_file(
        clip,
        workdir / "ref-features.bin",
        fps=config["fps"],
        source_rate=44100,
        trim_start=config["trim_start"],
        trim_end=config["trim_end"],
    )
    out = workdir / "reference.mkv"
    ffmpeg = subprocess.Popen(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "png_pipe",
            "-framerate",
            str(FPS),
            "-i",
            "pipe:0",
            "-c:v",
            "ffv1",
            "-pix_fmt",
            "rgb24",
            str(out),
        ],
        stdin=subprocess.PIPE,
    )
    with CaptureSession(config=config, features=features, chromium_path=CHROMIUM, mode="png") as session:
        for start in range(0, len(frames), 30):
            for png in session.snapshot(frames[start : start + 30], "image/png"):
                ffmpeg.stdin.write(png)
    ffmpeg.stdin.close()
    ffmpeg.wait()
    return out


def ssim(video: Path, reference: Path, stride: int) -> float:
    """SSIM (All) of every ``stride``-th frame of ``video`` vs the reference converted to the same
    delivery format (yuv420p, BT.709, limited range)."""
    graph = (
        f"[0:v]select='not(mod(n\\,{stride}))',setpts=N/({FPS}*TB)[a];"
        f"[1:v]scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,setpts=N/({FPS}*TB)[b];[a][b]ssim"
    )
    result = subprocess.run(
        ["ffmpeg", "-v", "info", "-i", str(video), "-i", str(reference), "-lavfi", graph, "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    match = re.search(r"All:([0-9.]+)", result.stderr)
    if not match:
        raise SystemExit(f"ssim failed: {result.stderr[-500:]}")
    return float(match.group(1))


def run_waveframe(clip: Path, out: Path, config: dict, encoder: str) -> dict:
    with MemorySampler() as mem:
        result = render_video(clip, out, config, chromium_path=CHROMIUM, encoder=encoder)
    return {
        "wall": result.wall_seconds,
        "peak": mem.peak,
        "bytes": result.size_bytes,
        "result": result,
        "samples": mem.samples,
    }


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (lower median for an even count); peak memory is the max."""
    ordered = sorted(runs, key=lambda run: run["wall"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["peak"] = max(run["peak"] for run in runs)
    chosen["walls"] = [round(run["wall"], 2) for run in runs]
    return chosen


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load avg {one:.2f} (1 min) {five:.2f} (5 min), {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--sizes", default="1280x720,1920x1080")
    parser.add_argument("--template", default="bars")
    parser.add_argument("--ssim-stride", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is reported")
    parser.add_argument("--x264", action="store_true", help="also time the libx264 fallback route")
    parser.add_argument("--bpp", type=float, default=None, help="override the WebCodecs bits per pixel")
    parser.add_argument(
        "--soak", type=float, default=0.0, help="seconds of audio for a flat-memory soak at 720p"
    )
    args = parser.parse_args()
    if args.bpp:
        encode.WEBCODECS_BPP = args.bpp
    rows = []
    with tempfile.TemporaryDirectory(prefix="waveframe-bench-") as tmpdir:
        tmp = Path(tmpdir)
        clip = make_clip(tmp / "clip.m4a", args.seconds)
        print(f"clip: {args.seconds:.0f} s synthetic track, {FPS} fps, template {args.template}; {load()}")
        for size in args.sizes.split(","):
            config = normalize_config(
                {
                    "template": args.template,
                    "size": size,
                    "fps": FPS,
                    "title": "Benchmark",
                    "artist": "Waveframe",
                },
                audio_duration=args.seconds,
            )
            frames_total = -(-int(args.seconds * 44100) * FPS // 44100)
            routes = [("auto", "waveframe")] + ([("x264", "waveframe x264 fallback")] if args.x264 else [])
            runs: dict[str, list[dict]] = {"showwaves": [], **{encoder: [] for encoder, _ in routes}}
            # interleaved rounds (A, B, A, B...) so that load from other work hits both alike
            for round_no in range(args.rounds):
                runs["showwaves"].append(run_showwaves(clip, tmp / f"showwaves-{size}.mp4", size))
                for encoder, _ in routes:
                    out = tmp / f"wf-{encoder}-{size}-{round_no}.mp4"
                    runs[encoder].append(run_waveframe(clip, out, config, encoder))
            sw = median_run(runs["showwaves"])
            rows.append(("showwaves (libx264 crf23)", size, sw, None, sw["wall"]))
            ref = lossless_reference(clip, config, list(range(0, frames_total, args.ssim_stride)), tmp)
            for encoder, label in routes:
                run = median_run(runs[encoder])
                run["ssim"] = ssim(run["result"].path, ref, args.ssim_stride)
                rows.append((f"{label} ({run['result'].encoder})", size, run, run["ssim"], sw["wall"]))
                print(f"  {size} {label} stage seconds (median run): {run['result'].timings}")
            ref.unlink()
        print_table(rows, args.seconds, frames_total)
        if args.soak:
            soak(tmp, args.soak, args.template)
    print(load())


def print_table(rows, seconds: float, frames: int) -> None:
    header = (
        "| route | size | wall s | frames/s | real-time | vs showwaves | peak tree PSS MB | MB out | SSIM |"
    )
    print(header)
    print("|" + "---|" * 9)
    for label, size, run, ssim_value, sw_wall in rows:
        ratio = sw_wall / run["wall"]
        print(
            f"| {label} | {size} | {run['wall']:.2f} | {frames / run['wall']:.1f} "
            f"| {seconds / run['wall']:.2f}x "
            f"| {ratio:.2f}x | {run['peak'] / 2**20:.0f} | {run['bytes'] / 1e6:.1f} | "
            f"{'-' if ssim_value is None else f'{ssim_value:.4f}'} |"
        )


def soak(tmp: Path, seconds: float, template: str) -> None:
    clip = make_clip(tmp / "soak.m4a", seconds)
    config = normalize_config(
        {"template": template, "size": "1280x720", "fps": FPS, "title": "Soak"}, audio_duration=seconds
    )
    run = run_waveframe(clip, tmp / "soak.mp4", config, "auto")
    samples = run["samples"]
    wall = run["wall"]
    print(
        f"soak: {seconds:.0f} s at 720p in {wall:.1f} s ({seconds / wall:.2f}x real time), "
        f"peak tree PSS {run['peak'] / 2**20:.0f} MB; peak per tenth of the render (MB):"
    )
    tenths = []
    for k in range(10):
        window = [v for t, v in samples if k * wall / 10 <= t < (k + 1) * wall / 10]
        tenths.append(f"{max(window) / 2**20:.0f}" if window else "-")
    print("  " + " ".join(tenths))


if __name__ == "__main__":
    main()
