"""A small HTTP/1.1 load client for loopback benchmarks: asyncio protocols, keep-alive, no deps.

``run_load(host, port, requests, clients, seconds)`` opens ``clients`` keep-alive connections,
each sending the next request as soon as the previous answer is complete (closed loop), for
``seconds`` after a short warm-up, and returns the throughput, the latency percentiles and the
status counts. A connection the server closes is reopened (counted in ``reconnects``).

It parses only what it needs (status line, Content-Length, chunked bodies) and does little work
per answer, so one Python process drives several thousand requests per second; the bare
hello-world figure of ``make load`` shows whether the client or the server is the limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, of answers in the window
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # connection errors, timeouts
    reconnects: int = 0
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per answer, by process group

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def summary(self) -> str:
        return (f"{self.throughput:8.0f} req/s  p50 {self.percentile(50) * 1000:7.1f} ms  "
                f"p99 {self.percentile(99) * 1000:7.1f} ms  n={self.count}  "
                f"non-2xx={self.non_2xx}  errors={sum(self.errors.values())}  "
                f"reconnects={self.reconnects}")


def build_request(method: str, host: str, port: int, path: str, headers: dict[str, str] | None = None,
                  body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Conn(asyncio.Protocol):
    """One keep-alive connection; ``send`` returns a future of (status, body)."""

    def __init__(self):
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.transport = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed by the server"))
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, data: bytes) -> asyncio.Future:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter

    def data_received(self, data: bytes):
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).decode("latin-1")
        status = int(head[9:12])
        lower = head.lower()
        start = end + 4
        i = lower.find("\ncontent-length:")
        if i >= 0:
            j = lower.find("\r", i + 1)
            length = int(lower[i + 16:j if j >= 0 else None])
            if len(self.buffer) < start + length:
                return
            body = bytes(self.buffer[start:start + length])
            del self.buffer[:start + length]
        elif "transfer-encoding: chunked" in lower:
            if not self.buffer.endswith(b"0\r\n\r\n"):
                return
            body = bytes(self.buffer[start:])
            self.buffer.clear()
        else:  # no length: the body ends with the connection
            return
        self.waiter.set_result((status, body))


async def _client(host, port, requests, deadline, window_start, result: LoadResult, index: int,
                  timeout: float):
    loop = asyncio.get_running_loop()
    conn = None
    n = index
    while loop.time() < deadline:
        if conn is None or conn.transport.is_closing():
            try:
                _, conn = await asyncio.wait_for(loop.create_connection(_Conn, host, port), timeout)
            except (OSError, TimeoutError) as exc:
                result.errors[type(exc).__name__] += 1
                conn = None
                await asyncio.sleep(0.05)
                continue
            result.reconnects += 1
        request = requests[n % len(requests)]
        n += 1
        started = loop.time()
        try:
            status, _body = await asyncio.wait_for(conn.send(request), timeout)
        except (ConnectionError, OSError, TimeoutError) as exc:
            if loop.time() >= window_start:
                result.errors[type(exc).__name__] += 1
            if conn is not None:
                conn.transport.close()
            conn = None
            continue
        done = loop.time()
        if started >= window_start and done <= deadline:
            result.latencies.append(done - started)
            result.statuses[status] += 1
    if conn is not None:
        conn.transport.close()


async def _run(host, port, requests, clients, seconds, warmup, timeout) -> LoadResult:
    loop = asyncio.get_running_loop()
    window_start = loop.time() + warmup
    deadline = window_start + seconds
    result = LoadResult(seconds=seconds)
    await asyncio.gather(*(_client(host, port, requests, deadline, window_start, result, i, timeout)
                           for i in range(clients)))
    result.reconnects -= clients  # the first connection of each client is not a reconnect
    return result


def run_load(host: str, port: int, requests: list[bytes], *, clients: int = 200,
             seconds: float = 15.0, warmup: float = 2.0, timeout: float = 30.0) -> LoadResult:
    """Closed-loop load: ``clients`` connections cycling through ``requests`` (raw bytes)."""
    return asyncio.run(_run(host, port, requests, clients, seconds, warmup, timeout))


def one_request(host: str, port: int, request: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    async def go():
        loop = asyncio.get_running_loop()
        transport, conn = await loop.create_connection(_Conn, host, port)
        try:
            return await asyncio.wait_for(conn.send(request), timeout)
        finally:
            transport.close()
    return asyncio.run(go())


def wait_until_serving(host: str, port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    request = build_request("GET", host, port, path)
    while True:
        try:
            one_request(host, port, request, timeout=5)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
