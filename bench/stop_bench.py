"""How fast a render stops: cancel latency and timeout overshoot of ``render_video``.

    .venv/bin/python bench/stop_bench.py [--rounds 5] [--size 720x720] [--template particles]

On a 20-second generated clip, each round:
  * ``cancel/<encoder>``: cancels once 24 frames are done (webcodecs and x264 routes) and times
    the request -> ``RenderCanceled`` raised, Chromium and FFmpeg gone, work folder removed
    (the worker adds up to ``CANCEL_POLL_INTERVAL``, 1 s, before the engine is asked);
  * ``timeout``: renders with ``timeout=3`` and times how far past the deadline it stopped.
Prints the median and the worst round of each, and the load average before and after, so
figures from a busy machine are read as such. The tests only hold these to the design's bounds
(``CLEANUP_SECONDS``); this script is where the real figures come from.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.rendering import proc
from app.rendering.errors import RenderCanceled, RenderTimeout
from app.rendering.pipeline import render_video

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CANCEL_AFTER_FRAMES = 24
TIMEOUT_SECONDS = 3.0


def make_clip(path: Path, seconds: float = 20.0) -> Path:
    expr = "0.6*sin(2*PI*(45+60*exp(-30*mod(t,0.5)))*t)*exp(-7*mod(t,0.5))+0.15*sin(2*PI*220*t)"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"aevalsrc='{expr}':s=44100:d={seconds}", "-c:a", "aac", str(path)], check=True)
    return path


def no_children_left(before: set[int]) -> bool:
    return not {pid for pid in proc.descendants() - before if proc.alive(pid)}


def cancel_round(clip: Path, config: dict, encoder: str, folder: Path) -> float:
    requested: list[float] = []

    def progress(update):
        if update.frames_done >= CANCEL_AFTER_FRAMES and not requested:
            requested.append(time.monotonic())

    before = proc.descendants()
    try:
        render_video(clip, folder / "out.mp4", config, progress=progress,
                     should_cancel=lambda: bool(requested), chromium_path=CHROMIUM,
                     workdir=folder, encoder=encoder)
    except RenderCanceled:
        stopped = time.monotonic()
    else:
        raise SystemExit(f"{encoder}: the render finished instead of stopping")
    if not no_children_left(before) or any(folder.glob("waveframe-render-*")):
        raise SystemExit(f"{encoder}: processes or files left behind")
    return stopped - requested[0]


def timeout_round(clip: Path, config: dict, folder: Path) -> float:
    started = time.monotonic()
    try:
        render_video(clip, folder / "out.mp4", config, timeout=TIMEOUT_SECONDS,
                     chromium_path=CHROMIUM, workdir=folder)
    except RenderTimeout:
        return time.monotonic() - started - TIMEOUT_SECONDS
    raise SystemExit("the render finished before its timeout")


def summary(name: str, values: list[float]) -> str:
    return f"{name:<24} median {statistics.median(values):6.2f} s   worst {max(values):6.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", default="720x720")
    parser.add_argument("--template", default="particles")
    args = parser.parse_args()
    logging.getLogger("app").setLevel(logging.ERROR)  # the watchdog's kill is the expected path
    config = {"template": args.template, "size": args.size, "fps": 24}
    load_before = os.getloadavg()[0]
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="waveframe-stop-bench-") as tmp:
        folder = Path(tmp)
        clip = make_clip(folder / "clip.m4a")
        for _ in range(args.rounds):  # interleaved, so load from other work hits every route alike
            for encoder in ("webcodecs", "x264"):
                results.setdefault(f"cancel/{encoder}", []).append(
                    cancel_round(clip, config, encoder, folder))
            results.setdefault("timeout overshoot", []).append(timeout_round(clip, config, folder))
    print(f"{args.rounds} rounds, {args.template} {args.size} at 24 fps; load average "
          f"{load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    for name, values in results.items():
        print(summary(name, values))


if __name__ == "__main__":
    main()
