"""Google Cloud Storage for tests: ``gcp-storage-emulator`` behind a fault-injecting proxy.

The emulator runs as a subprocess on a free loopback port for the whole session (started on
first use, stopped at exit). Clients talk to the proxy, which forwards every request to the
emulator, records it, and can be told to fail the next N matching requests::

    gcs = shared_gcs_emulator()
    gcs.proxy.fail_next(2, status=503, method="POST")        # two 503s, then normal
    gcs.proxy.fail_next(1, mode="timeout", method="POST")   # hold the request, then hang up
    gcs.proxy.requests_matching("DELETE")                   # what reached the emulator
    held = gcs.proxy.hold_next(method="POST")               # keep the next upload in flight...
    held.wait_reached(10); ...; held.release()               # ...until the test lets it through

The real ``google-cloud-storage`` client is pointed at ``gcs.endpoint`` (STORAGE_EMULATOR_HOST).
"""

from __future__ import annotations

import atexit
import http.client
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

BUCKET = "waveframe-test"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
              "te", "trailer", "proxy-authorization", "proxy-authenticate"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Fault:
    remaining: int
    mode: str  # "status" | "timeout" | "disconnect"
    status: int
    method: str | None
    path_contains: str | None
    hold_seconds: float

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method == method)
                and (self.path_contains is None or self.path_contains in unquote(path)))


@dataclass
class Hold:
    """A request kept in flight at the proxy until the test releases it (then forwarded)."""

    method: str | None
    path_contains: str | None
    max_seconds: float
    taken: bool = False
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def matches(self, method: str, path: str) -> bool:
        return (not self.taken and (self.method is None or self.method == method)
                and (self.path_contains is None or self.path_contains in unquote(path)))

    def wait_reached(self, timeout: float) -> None:
        if not self.reached.wait(timeout):
            raise AssertionError(f"no {self.method or ''} request reached the proxy in {timeout} s")

    def release(self) -> None:
        self.released.set()


@dataclass
class RecordedRequest:
    method: str
    path: str
    status: int | None  # None when the proxy injected a timeout or disconnect
    injected: bool


@dataclass
class FaultyProxy:
    upstream_port: int
    port: int = field(default_factory=free_port)
    faults: list[Fault] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    recorded: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self):
                proxy._forward(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="gcs-fault-proxy")
        self._thread.start()

    # -- control ---------------------------------------------------------------
    def fail_next(self, count: int, *, status: int = 503, mode: str = "status",
                  method: str | None = None, path_contains: str | None = None,
                  hold_seconds: float = 3.0) -> None:
        """Fail the next ``count`` requests matching ``method``/``path_contains``."""
        with self._lock:
            self.faults.append(Fault(count, mode, status, method, path_contains, hold_seconds))

    def hold_next(self, *, method: str | None = None, path_contains: str | None = None,
                  max_seconds: float = 60.0) -> Hold:
        """Keep the next matching request in flight until ``release()`` (or ``max_seconds``)."""
        hold = Hold(method, path_contains, max_seconds)
        with self._lock:
            self.holds.append(hold)
        return hold

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.recorded.clear()
            for hold in self.holds:
                hold.release()
            self.holds.clear()

    def requests_matching(self, method: str | None = None, path_contains: str | None = None,
                          *, injected: bool | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.recorded
                    if (method is None or r.method == method)
                    and (path_contains is None or path_contains in unquote(r.path))
                    and (injected is None or r.injected == injected)]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- forwarding ------------------------------------------------------------
    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None

    def _take_hold(self, method: str, path: str) -> Hold | None:
        with self._lock:
            for hold in self.holds:
                if hold.matches(method, path):
                    hold.taken = True
                    return hold
        return None

    def _record(self, method: str, path: str, status: int | None, injected: bool) -> None:
        with self._lock:
            self.recorded.append(RecordedRequest(method, path, status, injected))

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        method, path = handler.command, handler.path
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        fault = self._take_fault(method, path)
        if fault is not None:
            self._record(method, path, fault.status if fault.mode == "status" else None, True)
            if fault.mode == "status":
                payload = (b'{"error": {"code": %d, "message": "injected failure"}}'
                           % fault.status)
                handler.send_response(fault.status)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(payload)))
                handler.end_headers()
                handler.wfile.write(payload)
                return
            if fault.mode == "timeout":
                time.sleep(fault.hold_seconds)
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        hold = self._take_hold(method, path)
        if hold is not None:
            hold.reached.set()
            hold.released.wait(hold.max_seconds)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            self._record(method, path, response.status, False)
            handler.send_response(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if method != "HEAD":
                handler.wfile.write(data)
        finally:
            conn.close()


@dataclass
class GCSEmulator:
    process: subprocess.Popen
    port: int
    proxy: FaultyProxy
    bucket: str = BUCKET

    @property
    def endpoint(self) -> str:
        """What clients use (STORAGE_EMULATOR_HOST): the proxy in front of the emulator."""
        return f"http://127.0.0.1:{self.proxy.port}"

    @property
    def direct_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app_config(self, **overrides) -> dict:
        """Config overrides that make an app store in this emulator."""
        return {"STORAGE_BACKEND": "gcs", "GCS_BUCKET": self.bucket, "GCS_PROJECT": "test",
                "STORAGE_EMULATOR_HOST": self.endpoint, **overrides}

    def wipe_objects(self) -> None:
        """Delete every object, keep the bucket (straight to the emulator, not recorded)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", "/wipe?keep-buckets=true")
            conn.getresponse().read()
        finally:
            conn.close()

    def stop(self) -> None:
        self.proxy.stop()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gcs_emulator(bucket: str = BUCKET, *, startup_timeout: float = 30.0) -> GCSEmulator:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1",
         "--port", str(port), "--in-memory", "--default-bucket", bucket, "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + startup_timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gcp-storage-emulator exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", f"/storage/v1/b/{bucket}")
            if conn.getresponse().status == 200:
                conn.close()
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("gcp-storage-emulator did not start in time")
        time.sleep(0.1)
    return GCSEmulator(process=process, port=port, proxy=FaultyProxy(upstream_port=port),
                       bucket=bucket)


_shared: GCSEmulator | None = None
_shared_lock = threading.Lock()


def shared_gcs_emulator() -> GCSEmulator:
    """The session's emulator, started on first use and stopped when the process exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = start_gcs_emulator()
            atexit.register(_shared.stop)
        return _shared


def endpoint_path(url: str) -> str:
    """Path and query of a URL (to fetch a signed link through a test client)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
