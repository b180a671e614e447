"""What it costs to get raw frames out of headless Chromium (issue 16, point 1).

    .venv/bin/python bench/pixel_route_probe.py [--size 1280x720] [--frames 600] [--send-frames 60]

The render engine encodes in the page (WebCodecs, Chromium's OpenH264), and OpenH264 alone takes
more than the 2.0x-showwaves budget. The route left open is: draw in the page, copy each frame's
pixels out, send them to the host over loopback, encode there with x264 ``superfast`` at a raised
CRF. This probe measures the page's side of it on a light drawing (a gradient and 64 bars; Canvas
2D rasterises lazily, so the first readback of a frame also pays its rasterisation):

* readback, per frame: ``native`` (``new VideoFrame(canvas)`` + ``copyTo``, BGRA), ``rgba`` (the
  same converted to RGBA), ``imagedata`` (``getImageData``), and ``again`` (a 1x1 getImageData
  rasterises first, then VideoFrame + copyTo of the rasterised canvas: the readback alone);
* transfer: each RGBA frame POSTed with ``fetch`` (keep-alive, one in flight while the next is
  drawn) to a loopback HTTP server that drops it (``send``) or pipes it into ``ffmpeg -f rawvideo
  ... -c:v libx264 -preset superfast -crf 27`` (``x264``).

Not part of the test suite; only loopback (the page is served by the probe's own server).
"""

from __future__ import annotations

import argparse
import http.server
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--disable-renderer-backgrounding", "--disable-background-timer-throttling"]

PAGE = """<!doctype html><meta charset="utf-8"><title>probe</title><script>
async function run(n, w, h, send, how) {
  const canvas = new OffscreenCanvas(w, h);
  const g = canvas.getContext('2d', how === 'imagedata' ? {willReadFrequently: true} : {});
  let pending = null, tDraw = 0, tCopy = 0, tWait = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    const grad = g.createLinearGradient(0, 0, w, h);
    grad.addColorStop(0, `hsl(${i % 360},60%,20%)`); grad.addColorStop(1, '#111');
    g.fillStyle = grad; g.fillRect(0, 0, w, h);
    g.fillStyle = '#7cf';
    for (let k = 0; k < 64; k++) {
      const v = 0.5 + 0.5 * Math.sin(i * 0.1 + k * 0.3);
      g.fillRect(k * w / 64 + 2, h - v * h * 0.8, w / 64 - 4, v * h * 0.8);
    }
    const b = performance.now();
    let data;
    if (how === 'imagedata') {
      data = g.getImageData(0, 0, w, h).data;
    } else if (how === 'again') {  // rasterised by a first readback; time the second alone
      g.getImageData(0, 0, 1, 1);
      const b2 = performance.now(); tDraw += b2 - b;
      const frame = new VideoFrame(canvas, {timestamp: i * 33333});
      data = new Uint8Array(frame.allocationSize({}));
      await frame.copyTo(data, {});
      frame.close();
      tCopy -= b2 - b;
    } else {
      const frame = new VideoFrame(canvas, {timestamp: i * 33333});
      data = new Uint8Array(frame.allocationSize(how === 'native' ? {} : {format: 'RGBA'}));
      await frame.copyTo(data, how === 'native' ? {} : {format: 'RGBA'});
      frame.close();
    }
    const c = performance.now();
    if (pending) await pending;
    const d = performance.now();
    if (send) pending = fetch('/frame', {method: 'POST', body: data}).then(r => r.arrayBuffer());
    tDraw += b - a; tCopy += c - b; tWait += d - c;
  }
  if (pending) await pending;
  return {total: performance.now() - t0, draw: tDraw, copy: tCopy, wait: tWait};
}
</script>"""


class Sink:
    """Where the server puts each frame: nowhere, or an x264 encoder's stdin."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.bytes = 0

    def start_x264(self, size: str, out: Path) -> None:
        self.process = subprocess.Popen(
            ["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgba", "-s", size,
             "-r", "30", "-i", "pipe:0", "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
             "-c:v", "libx264", "-preset", "superfast", "-crf", "27", "-an", str(out)],
            stdin=subprocess.PIPE)

    def write(self, data: bytes) -> None:
        self.bytes += len(data)
        if self.process is not None:
            self.process.stdin.write(data)

    def finish(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=120)
            self.process = None


def serve(sink: Sink) -> tuple[http.server.ThreadingHTTPServer, int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers["Content-Length"])
            view = memoryview(bytearray(length))
            got = 0
            while got < length:
                got += self.rfile.readinto(view[got:])
            sink.write(view)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--send-frames", type=int, default=60, help="frames per transfer run")
    parser.add_argument("--rounds", type=int, default=1, help="transfer runs per mode")
    parser.add_argument("--out", type=Path, default=Path("/tmp/pixel_route_probe.mp4"))
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    sink = Sink()
    server, port = serve(sink)
    results: dict[str, list[dict]] = {"draw": [], "send": [], "x264": []}
    one, five, _ = os.getloadavg()
    print(f"pixel route probe: {args.size}, {args.frames} frames, {args.rounds} rounds; "
          f"load {one:.2f}/{five:.2f}, {os.cpu_count()} cores", flush=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.evaluate("([w, h]) => run(30, w, h, true, 'rgba')", [width, height])  # warm-up
        for how in ("native", "again", "rgba", "imagedata"):
            started = time.monotonic()
            timing = page.evaluate("([n, w, h, s, how]) => run(n, w, h, s, how)",
                                   [args.frames, width, height, False, how])
            print(f"readback {how}: {timing['copy'] / args.frames:.2f} ms/frame (draw "
                  f"{timing['draw'] / args.frames:.2f}), wall "
                  f"{time.monotonic() - started:.2f} s", flush=True)
        for _ in range(args.rounds):
            for mode in results:
                if mode == "x264":
                    sink.start_x264(args.size, args.out)
                started = time.monotonic()
                timing = page.evaluate("([n, w, h, s, how]) => run(n, w, h, s, how)",
                                       [args.send_frames, width, height, mode != "draw", "rgba"])
                sink.finish()
                timing["wall"] = time.monotonic() - started
                results[mode].append(timing)
        browser.close()
    server.shutdown()
    print(f"\ntransfer, {args.send_frames} frames:\n")
    print("| mode | wall s (median) | in page: draw ms/frame | copyTo ms/frame "
          "| waiting for the previous send ms/frame |")
    print("|---|---|---|---|---|")
    for mode, runs in results.items():
        def med(key: str, runs: list[dict] = runs) -> float:
            return statistics.median(r[key] for r in runs)
        n = args.send_frames
        print(f"| {mode} | {med('wall'):.2f} | {med('draw') / n:.2f} | "
              f"{med('copy') / n:.2f} | {med('wait') / n:.2f} |")
    mb = width * height * 4 * args.send_frames / 1e6
    print(f"\n{mb:.0f} MB of RGBA per run; x264 output {args.out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
