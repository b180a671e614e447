"""Headless Chromium (Playwright) running the visualizer page, with its network locked down.

The page lives at a fake origin (``https://waveframe.invalid``; secure, so WebCodecs exists).
Every request goes through Playwright's request routing: the visualizer's own files, the job's
images and its feature chunks are served from disk; everything else is aborted. As a second
wall, Chromium is pointed at a dead proxy with no loopback bypass, so a request that ever
escaped routing could not connect anywhere either.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Route, sync_playwright

from app.rendering import proc as procs
from app.rendering import warm
from app.rendering.analysis import Features
from app.rendering.errors import RenderFailed

log = logging.getLogger(__name__)

ORIGIN = "https://waveframe.invalid"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "visualizer"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--disable-domain-reliability",
    "--disable-features=MediaRouter,OptimizationHints,Translate",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]
_IMAGE_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "image/webp"),
    (b"BM", "image/bmp"),
]
TAKE_WAIT_MS = 200


def sniff_image_type(head: bytes) -> str | None:
    for magic, mime in _IMAGE_MAGIC:
        if head.startswith(magic):
            if mime == "image/webp" and head[8:12] != b"WEBP":
                continue
            return mime
    return None


class CaptureSession:
    """One browser + page with the visualizer initialised for a job. Use as a context manager.

    ``open()`` starts the browser and loads the page; ``setup(features)`` initialises the
    visualizer (done by ``open()`` when ``features`` were given up front), so the browser can
    start while the audio is still being analysed.
    """

    def __init__(
        self,
        *,
        config: dict | None,
        features: Features | None = None,
        assets: dict[str, Path] | None = None,
        chromium_path: str = "/usr/bin/chromium",
        mode: str = "auto",
        codecs: list[str] | None = None,
        bitrate: int | None = None,
        jpeg_quality: float = 0.92,
        init_script: str | None = None,
    ):
        self.config, self.features = config, features
        self.assets = {name: Path(path) for name, path in (assets or {}).items()}
        self.chromium_path, self.mode_requested = chromium_path, mode
        self.codecs, self.bitrate, self.jpeg_quality = codecs or [], bitrate, jpeg_quality
        self.init_script = init_script
        self.blocked: list[str] = []
        self.served = 0
        self.info: dict = {}
        self._pw = self._browser = self._page = self._context = None
        self._warm: warm.WarmBrowser | None = None  # attached to the worker's shared browser
        self._pids: set[int] = set()
        self._console: list[str] = []

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> CaptureSession:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def pids(self) -> set[int]:
        """The driver and browser processes of this session (and whatever they started)."""
        found = set(self._pids)
        for pid in self._pids:
            found |= procs.descendants(pid)
        return found

    def open(self) -> None:
        try:
            self._open()
        except PlaywrightError as exc:
            raise RenderFailed(
                "The renderer could not start.",
                code="browser_unavailable",
                detail=f"{str(exc)[:800]} | console: {' / '.join(self._console[-5:])}",
            ) from exc

    def _open(self) -> None:
        before = procs.descendants()
        started = time.monotonic()
        self._pw = sync_playwright().start()
        shared = warm.current()
        if shared is not None:
            # the worker's warm Chromium: only Playwright's driver is ours; the context we make is
            # disposed by Chromium when the driver's connection goes (disposeOnDetach)
            self._warm = shared
            self._browser = self._pw.chromium.connect_over_cdp(shared.endpoint, timeout=30_000)
        else:
            self._browser = self._pw.chromium.launch(
                executable_path=self.chromium_path,
                args=CHROMIUM_ARGS,
                headless=True,
                handle_sigint=False,
                handle_sigterm=False,
                handle_sighup=False,
            )
        self._pids = procs.descendants() - before
        context = self._context = self._browser.new_context(
            service_workers="block", accept_downloads=False, java_script_enabled=True
        )
        context.route("**/*", self._route)
        context.route_web_socket("**/*", lambda ws: ws.close())
        if self.init_script:
            context.add_init_script(self.init_script)
        self._page = context.new_page()
        self._page.on("console", lambda msg: self._console.append(msg.text[:300]))
        self._page.on("pageerror", lambda err: self._console.append(f"pageerror: {str(err)[:300]}"))
        self._page.goto(f"{ORIGIN}/visualizer/index.html", wait_until="load")
        self._page.wait_for_function("() => window.wfCapture !== undefined")
        log.info("capture_browser_ready", extra={"startup_seconds": round(time.monotonic() - started, 3)})
        if self.features is not None:
            self.setup(self.features)

    def setup(
        self,
        features: Features,
        *,
        config: dict | None = None,
        assets: dict[str, Path] | None = None,
        codecs: list[str] | None = None,
        bitrate: int | None = None,
    ) -> dict:
        """Initialise the visualizer with ``features`` (and the job's final config, images and
        encoder settings when they were not known at construction); returns the capture mode."""
        self.features = features
        if config is not None:
            self.config = config
        if assets is not None:
            self.assets = {name: Path(path) for name, path in assets.items()}
        if codecs is not None:
            self.codecs = codecs
        if bitrate is not None:
            self.bitrate = bitrate
        opts = {
            "config": self.config,
            "features": {"header": features.header(), "url": f"{ORIGIN}/job/features", "chunkFrames": 512},
            "assets": {name: f"{ORIGIN}/assets/{name}" for name in self.assets},
            "mode": self.mode_requested,
            "codecs": self.codecs,
            "bitrate": self.bitrate,
            "jpegQuality": self.jpeg_quality,
            "keyInterval": int(self.config["fps"]) * 2,
        }
        self.info = self._call("o => window.wfCapture.setup(o)", opts)
        log.info(
            "capture_ready",
            extra={
                "mode": self.info["mode"],
                "codec": self.info.get("codec"),
                "reason": self.info.get("reason"),
            },
        )
        return self.info

    @property
    def shared_browser(self) -> bool:
        """True when attached to the worker's warm browser (``app.rendering.warm``)."""
        return self._warm is not None

    def close(self) -> None:
        pids = self.pids
        closers = (
            lambda: self._context and self._warm and self._context.close(),  # our context only
            lambda: self._browser and self._browser.close(),  # warm: disconnects, Chromium stays
            lambda: self._pw and self._pw.stop(),
        )
        for closer in closers:
            try:
                closer()
            except Exception as exc:  # the browser may already be dead (killed on timeout)
                log.debug("capture_close_error", extra={"error": str(exc)[:200]})
        leftovers = {pid for pid in pids if procs.alive(pid)}
        if leftovers:
            procs.kill_pids(leftovers)
        self._browser = self._pw = self._page = self._context = None

    def discard_browser(self) -> None:
        """The render failed: a shared warm browser is killed (the worker starts a new one)."""
        if self._warm is not None:
            warm.discard()

    def kill(self, *, include_driver: bool = False) -> None:
        """Hard stop from another thread (watchdog): the blocked Playwright call then fails.

        By default kills the browser but not Playwright's driver, so the call fails cleanly
        instead of the connection dying under it; ``close()`` then stops the driver.
        """
        me = os.getpid()
        if self._warm is not None:
            warm.discard()  # the shared browser goes (a page in it hung): the blocked call fails
        procs.kill_pids({pid for pid in self.pids if include_driver or procs.parent(pid) != me})

    # --- network lockdown ---------------------------------------------------------------------
    def _route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        try:
            if f"{parts.scheme}://{parts.netloc}" == ORIGIN and route.request.method == "GET":
                body, mime = self._serve(unquote(parts.path), parse_qs(parts.query))
                if body is not None:
                    self.served += 1
                    route.fulfill(
                        status=200,
                        body=body,
                        content_type=mime,
                        headers={"Cache-Control": "no-store", "Access-Control-Allow-Origin": ORIGIN},
                    )
                    return
            self.blocked.append(url[:200])
            log.warning("capture_request_blocked", extra={"url": url[:200]})
            route.abort("blockedbyclient")
        except PlaywrightError as exc:  # page went away mid-request
            log.debug("capture_route_error", extra={"error": str(exc)[:200]})

    def _serve(self, path: str, query: dict) -> tuple[bytes | None, str]:
        if path.startswith("/visualizer/"):
            target = (STATIC_DIR / path[len("/visualizer/") :]).resolve()
            if target.is_file() and target.is_relative_to(STATIC_DIR):
                mime = (
                    {".js": "text/javascript", ".ttf": "font/ttf"}.get(target.suffix)
                    or mimetypes.guess_type(target.name)[0]
                    or "application/octet-stream"
                )
                return target.read_bytes(), mime
        elif path.startswith("/assets/"):
            asset = self.assets.get(path[len("/assets/") :])
            if asset is not None and asset.is_file():
                body = asset.read_bytes()
                mime = sniff_image_type(body[:16])
                if mime:
                    return body, mime
        elif path == "/job/features" and self.features is not None:
            start, end = int(query["start"][0]), int(query["end"][0])
            return self.features.read_bytes(start, end), "application/octet-stream"
        return None, ""

    # --- page calls -------------------------------------------------------------------------
    def _call(self, expression: str, arg=None):
        try:
            return self._page.evaluate(expression, arg)
        except PlaywrightError as exc:
            raise RenderFailed(
                "The visualizer failed while drawing the video.",
                code="browser_error",
                detail=f"{str(exc)[:800]} | console: {' / '.join(self._console[-5:])}",
            ) from exc

    @property
    def mode(self) -> str:
        return self.info["mode"]

    def evaluate(self, expression: str, arg=None):
        return self._call(expression, arg)

    def stream(
        self,
        start: int,
        end: int,
        *,
        on_data: Callable[[bytes, list[int]], None],
        on_frames: Callable[[int], None] | None = None,
        check: Callable[[], None] | None = None,
    ) -> int:
        """Produce frames ``[start, end)``; ``on_data`` gets each batch of bytes with per-frame sizes.

        ``check`` runs between batches (at most ~0.2 s apart) and may raise to stop.
        """
        self._call("([a, b]) => window.wfCapture.start(a, b)", [start, end])
        batch_frames = max(1, int(self.config["fps"]) // 2)  # about two round trips per second of video
        total = end - start
        while True:
            if check:
                check()  # raising leaves the page as it is: the caller closes the browser
            batch = self._call("([ms, n]) => window.wfCapture.take(ms, n)", [TAKE_WAIT_MS, batch_frames])
            if batch["error"]:
                raise RenderFailed(
                    "The visualizer failed while drawing the video.",
                    code="browser_error",
                    detail=batch["error"][:800],
                )
            if batch["data"]:
                on_data(base64.b64decode(batch["data"]), batch["sizes"])
            if on_frames:
                on_frames(batch["frames"])
            if batch["done"]:
                if batch["frames"] != total:
                    raise RenderFailed(
                        code="frame_count_mismatch",
                        detail=f"encoder produced {batch['frames']} of {total} frames",
                    )
                return batch["frames"]

    def snapshot(self, frames: list[int], kind: str = "sha256") -> list:
        """Draw ``frames`` in the given order; return a SHA-256 of each frame's RGBA pixels, or
        image bytes when ``kind`` is a MIME type such as ``image/png``."""
        result = self._call("([f, k]) => window.wfCapture.snapshot(f, k)", [frames, kind])
        return result if kind == "sha256" else [base64.b64decode(item) for item in result]
