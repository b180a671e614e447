"""Render benchmark: Waveframe next to FFmpeg's own ``showwaves`` in the same run (issue 16, point 1).

    make bench                                    # every template, 20 s and 3 min clips, 720p30 + 1080p30
    .venv/bin/python bench/render_bench.py --templates bars,wave --clips 20 --sizes 1280x720 --rounds 1

For each clip length and size, rounds are *interleaved* (showwaves, then each template, then the
next round), so load from other work on the shared machine hits every route alike; the median
wall time of the rounds is reported.
  * ``showwaves``: ``ffmpeg -filter_complex showwaves=mode=cline`` -> libx264 veryfast CRF 20
    (+ the same AAC settings as Waveframe), the reference speed;
  * ``waveframe``: ``render_video`` exactly as the worker runs it (auto encoder: in-page WebCodecs).
Then, per template and size, a lossless capture of the first ``--ref-seconds`` of frames (PNG from
the page, stored losslessly as x264 RGB QP 0) gives
  * SSIM ("All") of Waveframe's frames against it (every ``--ssim-stride``-th frame; goal >= 0.98),
  * the bytes of x264 CRF 23 (preset ``--ref-preset``) of those lossless frames, next to the bytes
    of Waveframe's *video stream* over the same frames (goal: not more).
Printed per run: wall time and stage seconds (startup, analysis, page setup, capture, mux, verify);
``analysis`` runs beside the browser start-up, so it only costs wall time when it is longer.
``--soak N`` renders an N-second clip at 720p and prints memory per tenth of the render.
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

from app.rendering import encode, proc, warm
from app.rendering.analysis import analyze_file
from app.rendering.capture import CaptureSession
from app.rendering.catalog import normalize_config, template_ids
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


def run_showwaves(clip: Path, out: Path, size: str, crf: int) -> dict:
    width, height = size.split("x")
    cmd = [
        "ffmpeg", "-v", "error", "-y", "-i", str(clip),
        "-filter_complex",
        f"[0:a]showwaves=s={width}x{height}:mode=cline:rate={FPS},fps={FPS},format=yuv420p[v]",
        "-map", "[v]", "-map", "0:a",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf),
        *encode.AUDIO_CODEC, "-movflags", "+faststart", str(out),
    ]
    started = time.monotonic()
    process = subprocess.Popen(cmd)
    with MemorySampler(process.pid) as mem:
        process.wait()
    wall = time.monotonic() - started
    if process.returncode:
        raise SystemExit("showwaves failed")
    return {"wall": wall, "peak": mem.peak, "bytes": out.stat().st_size}


def lossless_reference(clip: Path, config: dict, frames: int, workdir: Path) -> Path:
    """PNG captures of frames ``[0, frames)`` (full-range RGB, as the page drew them), stored
    losslessly (x264 RGB at QP 0: lossless, and much quicker than FFV1 on the noisy templates)."""
    features = analyze_file(
        clip, workdir / "ref-features.bin", fps=config["fps"], source_rate=44100,
        trim_start=config["trim_start"], trim_end=config["trim_end"],
    )
    out = workdir / "reference.mkv"
    ffmpeg = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-y", "-f", "png_pipe", "-framerate", str(FPS), "-i", "pipe:0",
         "-c:v", "libx264rgb", "-qp", "0", "-preset", "ultrafast", "-pix_fmt", "rgb24", str(out)],
        stdin=subprocess.PIPE,
    )
    with CaptureSession(config=config, features=features, chromium_path=CHROMIUM, mode="png") as session:
        for start in range(0, frames, 30):
            for png in session.snapshot(list(range(start, min(frames, start + 30))), "image/png"):
                ffmpeg.stdin.write(png)
    ffmpeg.stdin.close()
    if ffmpeg.wait():
        raise SystemExit("lossless reference failed")
    return out


DELIVERY = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"


def x264_reference_bytes(reference: Path, out: Path, crf: int, preset: str) -> int:
    """Bytes of the H.264 stream x264 makes of the lossless frames (same delivery format)."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(reference), "-vf", DELIVERY, "-c:v", "libx264",
         "-preset", preset, "-crf", str(crf), "-f", "h264", str(out)],
        check=True,
    )
    return out.stat().st_size


def video_bytes(video: Path, frames: int) -> int:
    """Bytes of the video packets of the first ``frames`` frames (decode order = presentation order
    for the in-page encoder, which makes no B-frames; pts are used anyway)."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts,size",
         "-of", "csv=p=0", str(video)],
        capture_output=True, text=True, check=True,
    )
    packets = sorted((int(pts), int(size)) for pts, size in
                     (line.split(",")[:2] for line in result.stdout.split() if line))
    return sum(size for _, size in packets[:frames])


def ssim(video: Path, reference: Path, stride: int, frames: int) -> float:
    """SSIM (All) of every ``stride``-th of the first ``frames`` frames of ``video`` vs the
    reference converted to the same delivery format (yuv420p, BT.709, limited range)."""
    graph = (
        f"[0:v]trim=end_frame={frames},select='not(mod(n\\,{stride}))',setpts=N/({FPS}*TB)[a];"
        f"[1:v]select='not(mod(n\\,{stride}))',{DELIVERY},setpts=N/({FPS}*TB)[b];[a][b]ssim"
    )
    result = subprocess.run(
        ["ffmpeg", "-v", "info", "-i", str(video), "-i", str(reference), "-lavfi", graph, "-f", "null", "-"],
        capture_output=True, text=True,
    )
    match = re.search(r"All:([0-9.]+)", result.stderr)
    if not match:
        raise SystemExit(f"ssim failed: {result.stderr[-500:]}")
    return float(match.group(1))


def run_waveframe(clip: Path, out: Path, config: dict, encoder: str) -> dict:
    with MemorySampler() as mem:
        result = render_video(clip, out, config, chromium_path=CHROMIUM, encoder=encoder)
    return {"wall": result.wall_seconds, "peak": mem.peak, "bytes": result.size_bytes,
            "result": result, "samples": mem.samples}


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (lower median for an even count); peak memory is the max."""
    ordered = sorted(runs, key=lambda run: run["wall"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["peak"] = max(run["peak"] for run in runs)
    chosen["walls"] = [round(run["wall"], 2) for run in runs]
    return chosen


def load() -> str:
    with open("/proc/loadavg") as fh:
        loadavg = fh.read().strip()
    return f"/proc/loadavg {loadavg}; {os.cpu_count()} cores"


STAGES = ("startup", "analysis", "page_setup", "capture", "mux", "verify")


def stages(result) -> str:
    return " ".join(f"{k} {result.timings[k]:.2f}" for k in STAGES if k in result.timings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clips", default="20,180", help="clip lengths in seconds, comma-separated")
    parser.add_argument("--sizes", default="1280x720,1920x1080")
    parser.add_argument("--templates", default=",".join(template_ids()))
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is reported")
    parser.add_argument("--showwaves-crf", type=int, default=20)
    parser.add_argument("--ssim-stride", type=int, default=3)
    parser.add_argument("--ref-seconds", type=float, default=20.0,
                        help="seconds of frames captured losslessly for SSIM and the x264 CRF 23 bytes")
    parser.add_argument("--ref-preset", default="veryfast", help="x264 preset of the CRF 23 reference")
    parser.add_argument("--no-quality", action="store_true", help="skip SSIM and the bytes reference")
    parser.add_argument("--bpp", type=float, default=None, help="override the WebCodecs bits per pixel")
    parser.add_argument("--cold", action="store_true",
                        help="every render launches its own Chromium (as with RENDER_WARM_BROWSER off); "
                        "default: a warm browser kept by this process, as a worker keeps one")
    parser.add_argument("--floor", action="store_true",
                        help="also time x264 CRF 23 alone (veryfast, superfast, ultrafast) on the "
                        "lossless frames: the encoder floor")
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of audio: flat-memory soak at 720p")
    args = parser.parse_args()
    if args.bpp:
        encode.WEBCODECS_BPP = args.bpp
    templates = args.templates.split(",")
    rows = []
    browser = None
    if not args.cold:
        browser = warm.WarmBrowser(CHROMIUM).start()
        warm.install(browser)
    print(f"browser: {'cold (one per render)' if browser is None else 'warm (one per worker process)'}")
    print(f"start: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="waveframe-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for seconds in (float(c) for c in args.clips.split(",")):
            clip = make_clip(tmp / f"clip-{seconds:.0f}.m4a", seconds)
            frames_total = -(-int(seconds * 44100) * FPS // 44100)
            for size in args.sizes.split(","):
                configs = {
                    t: normalize_config({"template": t, "size": size, "fps": FPS, "title": "Benchmark",
                                         "artist": "Waveframe"}, audio_duration=seconds)
                    for t in templates
                }
                runs: dict[str, list[dict]] = {"showwaves": [], **{t: [] for t in templates}}
                for round_no in range(args.rounds):
                    sw = run_showwaves(clip, tmp / "showwaves.mp4", size, args.showwaves_crf)
                    runs["showwaves"].append(sw)
                    print(f"  {seconds:.0f}s {size} round {round_no + 1} showwaves {sw['wall']:.2f} s",
                          flush=True)
                    for t in templates:
                        run = run_waveframe(clip, tmp / f"wf-{t}-{round_no}.mp4", configs[t], "auto")
                        if browser is not None:
                            browser.after_job(failed=False)  # as the worker does between jobs
                        runs[t].append(run)
                        print(f"  {seconds:.0f}s {size} round {round_no + 1} {t} {run['wall']:.2f} s "
                              f"({stages(run['result'])}) {load()}", flush=True)
                sw = median_run(runs["showwaves"])
                rows.append({"clip": seconds, "size": size, "route": f"showwaves crf{args.showwaves_crf}",
                             "run": sw, "sw": sw["wall"], "frames": frames_total})
                for t in templates:
                    run = median_run(runs[t])
                    row = {"clip": seconds, "size": size, "route": t, "run": run, "sw": sw["wall"],
                           "frames": frames_total}
                    if not args.no_quality:
                        ref_frames = min(frames_total, round(args.ref_seconds * FPS))
                        ref = lossless_reference(clip, configs[t], ref_frames, tmp)
                        row["ssim"] = ssim(run["result"].path, ref, args.ssim_stride, ref_frames)
                        row["ref_frames"] = ref_frames
                        row["wf_video_bytes"] = video_bytes(run["result"].path, ref_frames)
                        row["x264_bytes"] = x264_reference_bytes(ref, tmp / "ref.h264", 23, args.ref_preset)
                        if args.floor:
                            row["floor"] = encoder_floor(ref, size, tmp)
                        ref.unlink()
                    for r in runs[t]:
                        if r is not run:
                            r["result"].path.unlink(missing_ok=True)
                    rows.append(row)
                    print_row(row, args.rounds, flush=True)
        print()
        print(f"x264 CRF 23 reference preset: {args.ref_preset}; {load()}")
        print_table(rows)
        if args.floor:
            print_floor(rows)
        if args.soak:
            soak(tmp, args.soak, templates[0])
    if browser is not None:
        warm.install(None)
        browser.close()
    print(f"end: {load()}")


def print_row(row: dict, rounds: int, flush: bool = False) -> None:
    run = row["run"]
    print(f"  => {row['clip']:.0f}s {row['size']} {row['route']}: "
          f"median {run['wall']:.2f} s of {run['walls']}, "
          f"{row['sw'] / run['wall']:.2f}x showwaves, stages {stages(run['result'])}, "
          f"ssim {row.get('ssim', '-')}, video bytes {row.get('wf_video_bytes', '-')} "
          f"vs x264 crf23 {row.get('x264_bytes', '-')} over {row.get('ref_frames', '-')} frames", flush=flush)


def print_table(rows: list[dict]) -> None:
    print("| clip | size | route | wall s | frames/s | vs showwaves | startup | analysis | capture | mux "
          "| SSIM | video MB vs x264 crf23 MB (ref frames) | peak tree PSS MB |")
    print("|" + "---|" * 13)
    for row in rows:
        run = row["run"]
        timings = run["result"].timings if "result" in run else {}
        cells = [f"{timings[k]:.2f}" if k in timings else "-"
                 for k in ("startup", "analysis", "capture", "mux")]
        quality = ("-", "-")
        if "ssim" in row:
            ratio = row["wf_video_bytes"] / row["x264_bytes"]
            quality = (f"{row['ssim']:.4f}",
                       f"{row['wf_video_bytes'] / 1e6:.2f} vs {row['x264_bytes'] / 1e6:.2f} "
                       f"({ratio:.2f}, {row['ref_frames']} fr)")
        print(f"| {row['clip']:.0f} s | {row['size']} | {row['route']} | {run['wall']:.2f} "
              f"| {row['frames'] / run['wall']:.1f} | **{row['sw'] / run['wall']:.2f}x** "
              f"| {' | '.join(cells)} "
              f"| {quality[0]} | {quality[1]} | {run['peak'] / 2**20:.0f} |")


FLOOR_PRESETS = ("veryfast", "superfast", "ultrafast")


def encoder_floor(reference: Path, size: str, tmp: Path) -> dict[str, tuple[float, int]]:
    """Seconds and bytes of x264 CRF 23 (each of :data:`FLOOR_PRESETS`, its default threads)
    encoding the lossless frames, already in the delivery format and read from a file: what the
    encoder alone costs, with no drawing, no transfer of frames and no start-up."""
    raw = tmp / "floor.yuv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(reference), "-vf", DELIVERY, "-f", "rawvideo",
                    str(raw)], check=True)
    found = {}
    for preset in FLOOR_PRESETS:
        out = tmp / "floor.h264"
        started = time.monotonic()
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", size,
                        "-r", str(FPS), "-i", str(raw), "-c:v", "libx264", "-preset", preset, "-crf", "23",
                        "-f", "h264", str(out)], check=True)
        found[preset] = (time.monotonic() - started, out.stat().st_size)
    raw.unlink()
    return found


def print_floor(rows: list[dict]) -> None:
    """The encoder floor next to showwaves: even a renderer that cost nothing but x264 could not
    beat ``showwaves / floor`` (the frames of the whole clip, at the reference frames' pace)."""
    print("\nEncoder floor: x264 CRF 23 alone on the template's lossless frames (delivery format, from a "
          "file), scaled to the clip's frames; ceiling = showwaves wall / that time; bytes vs x264 CRF 23 "
          "of the reference preset\n")
    print("| clip | size | template | " + " | ".join(f"{p} s (ceiling, bytes)" for p in FLOOR_PRESETS) + " |")
    print("|" + "---|" * (3 + len(FLOOR_PRESETS)))
    for row in rows:
        if "floor" not in row:
            continue
        cells = []
        for preset in FLOOR_PRESETS:
            seconds, size_bytes = row["floor"][preset]
            whole = seconds * row["frames"] / row["ref_frames"]
            cells.append(f"{whole:.2f} ({row['sw'] / whole:.2f}x, {size_bytes / row['x264_bytes']:.2f})")
        print(f"| {row['clip']:.0f} s | {row['size']} | {row['route']} | " + " | ".join(cells) + " |")


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
