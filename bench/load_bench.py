"""Load benchmark: status polling under 200 concurrent clients next to a bare Flask hello-world,
and a 200 MB upload's memory, on gunicorn with the Procfile's web settings (loopback only).

    .venv/bin/python bench/load_bench.py [--clients 200] [--seconds 15] [--upload-mb 200]
                                          [--skip-upload] [--rounds 1]

1. A private Postgres database and Redis db (rate limits off), gunicorn ``wsgi:app`` started with
   the Procfile's ``web`` command on a free loopback port; a user registered and a render job
   created through the API (a 2-second WAV; payments off, so it waits queued).
2. ``--clients`` keep-alive connections poll ``GET /api/v1/renders/{id}`` with the bearer token
   for ``--seconds`` (after a 2 s warm-up): throughput, p50, p99, non-2xx answers.
3. The same load on ``bench/hello_app.py`` (one Flask route serialising the same JSON body) under
   the same gunicorn settings; the ratios of the two.
4. A ``--upload-mb`` WAV posted to ``POST /api/v1/renders`` while the RSS of every gunicorn worker
   is sampled every 10 ms: the largest growth of one worker over its RSS before the upload.

With ``--rounds N`` steps 2 and 3 alternate N times and the medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import LoadResult, build_request, one_request, run_load, wait_until_serving
from stack import (
    HOST,
    Stack,
    cpu_seconds,
    descendants,
    free_port,
    postgres_backends,
    rss_mb,
)

PASSWORD = "load-bench-Password-42!"
RENDER_CONFIG = {"template": "bars", "size": "720x720", "fps": 24, "title": "Load"}


# -- API helpers ---------------------------------------------------------------------------

def api_json(port: int, method: str, path: str, body: dict | None = None,
             token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else b""
    status, raw = one_request(HOST, port, build_request(method, HOST, port, path, headers, data))
    return status, (json.loads(raw) if raw else {})


def register(port: int, email: str | None = None) -> str:
    email = email or f"load-{uuid.uuid4().hex[:10]}@example.com"
    status, body = api_json(port, "POST", "/api/v1/auth/register",
                            {"email": email, "password": PASSWORD})
    assert status == 201, (status, body)
    return body["access_token"]


def write_wav(path: Path, size_bytes: int, *, seconds: float | None = None) -> Path:
    """A 16-bit stereo 44.1 kHz PCM WAV of ``size_bytes`` (noise) or ``seconds`` (a beeping tone)."""
    rate, channels = 44100, 2
    if seconds is not None:
        import math
        frames = int(rate * seconds)
        samples = bytearray()
        for i in range(frames):
            level = 0.3 if (i // (rate // 4)) % 2 else 0.8
            value = int(level * 12000 * math.sin(2 * math.pi * 440 * i / rate))
            samples += struct.pack("<hh", value, value)
        data_size = len(samples)
    else:
        data_size = (size_bytes - 44) // 4 * 4
    header = (b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVEfmt "
              + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
              + b"data" + struct.pack("<I", data_size))
    with open(path, "wb") as out:
        out.write(header)
        if seconds is not None:
            out.write(samples)
        else:
            left = data_size
            block = os.urandom(4 * 1024 * 1024)
            while left:
                out.write(block[:min(left, len(block))])
                left -= min(left, len(block))
    return path


def upload_render(port: int, token: str, audio: Path, config: dict | None = None,
                  timeout: float = 600.0) -> tuple[int, dict]:
    """POST /api/v1/renders as multipart, the file streamed from disk in 1 MB blocks."""
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"config\"\r\n\r\n"
            f"{json.dumps(config or RENDER_CONFIG)}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; "
            f"filename=\"{audio.name}\"\r\nContent-Type: audio/wav\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + audio.stat().st_size + len(tail)
    request_head = (f"POST /api/v1/renders HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                    f"Authorization: Bearer {token}\r\nConnection: close\r\n"
                    f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                    f"Content-Length: {length}\r\n\r\n").encode()
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(request_head + head)
        with open(audio, "rb") as fh:
            while block := fh.read(1024 * 1024):
                sock.sendall(block)
        sock.sendall(tail)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head_part, _, body = raw.partition(b"\r\n\r\n")
    status = int(head_part[9:12])
    if b"transfer-encoding: chunked" in head_part.lower():
        body = _dechunk(body)
    return status, (json.loads(body) if body else {})


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return out


# -- steps ---------------------------------------------------------------------------------

def start_web(stack: Stack, app_spec: str, log_name: str, **env: str) -> tuple[object, int]:
    port = free_port()
    process = stack.gunicorn(app_spec, port, log_name, **env)
    wait_until_serving(HOST, port, "/healthz")
    return process, port


def poll_load(port: int, path: str, token: str | None, clients: int, seconds: float,
              server_pid: int, database: str | None = None) -> LoadResult:
    """The load, and the CPU it cost per answer: gunicorn (master + workers), this client and,
    given ``database``, the Postgres backends serving it (over the whole run, warm-up included,
    divided by the answers scaled to the same span)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def cpu() -> dict[str, dict[int, float]]:
        groups = {"gunicorn": [server_pid, *descendants(server_pid)], "client": [os.getpid()],
                  "postgres": postgres_backends(database) if database else []}
        return {name: {pid: cpu_seconds([pid]) for pid in pids} for name, pids in groups.items()}

    before = cpu()
    started = time.perf_counter()
    result = run_load(HOST, port, [build_request("GET", HOST, port, path, headers)],
                      clients=clients, seconds=seconds)
    span = time.perf_counter() - started
    after = cpu()
    answers = max(1.0, result.count * span / seconds)
    result.cpu_ms = {name: sum(t - before[name].get(pid, 0.0) for pid, t in after[name].items())
                     * 1000 / answers for name in after}
    return result


def measure_upload(stack: Stack, port: int, master_pid: int, token: str, size_mb: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="waveframe-upload-", dir=stack.tmp))
    audio = write_wav(workdir / "big.wav", size_mb * 1024 * 1024 - 1024)
    workers = descendants(master_pid)
    before = {pid: rss_mb(pid) for pid in workers}
    peak = dict(before)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for pid in workers:
                peak[pid] = max(peak[pid], rss_mb(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    status, body = upload_render(port, token, audio)
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    audio.unlink()
    growth = {pid: peak[pid] - before[pid] for pid in workers}
    worst = max(growth, key=growth.get)
    return {"status": status, "error": body.get("error"), "seconds": elapsed,
            "bytes": size_mb * 1024 * 1024, "rss_before_mb": before[worst],
            "rss_peak_mb": peak[worst], "growth_mb": growth[worst]}


def cpu_summary(result: LoadResult) -> str:
    return "CPU ms/answer: " + " ".join(f"{name} {ms:.2f}" for name, ms in result.cpu_ms.items()
                                        if name != "postgres" or ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--upload-mb", type=int, default=200)
    parser.add_argument("--skip-upload", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.clients <= 2000 or not 1 <= args.seconds <= 300 or not 1 <= args.rounds <= 10:
        parser.error("bounded run: --clients 1..2000, --seconds 1..300, --rounds 1..10")

    stack = Stack("_load")
    try:
        web, web_port = start_web(stack, "wsgi:app", "web.log")
        token = register(web_port)
        tone = write_wav(stack.tmp / "tone.wav", 0, seconds=2.0)
        status, job = upload_render(web_port, token, tone)
        assert status == 201, (status, job)
        path = f"/api/v1/renders/{job['id']}"
        status, body = api_json(web_port, "GET", path, token=token)
        assert status == 200, (status, body)
        database = stack.services.database_url.rsplit("/", 1)[1]
        body_file = stack.tmp / "hello-body.json"
        body_file.write_text(json.dumps(body))
        hello, hello_port = start_web(stack, "hello_app:app", "hello.log",
                                      HELLO_BODY_FILE=str(body_file))
        print(f"gunicorn: {' '.join(stack.processes[0].args[1:])}")
        print(f"polling GET {path} (body {len(json.dumps(body))} bytes) with {args.clients} "
              f"clients, {args.seconds:.0f} s per measurement, {args.rounds} round(s)")
        waveframe_runs, hello_runs = [], []
        for _round in range(args.rounds):
            result = poll_load(web_port, path, token, args.clients, args.seconds, web.pid,
                               database=database)
            print(f"  waveframe   {result.summary()}  {cpu_summary(result)}")
            waveframe_runs.append(result)
            result = poll_load(hello_port, path, None, args.clients, args.seconds, hello.pid)
            print(f"  hello-world {result.summary()}  {cpu_summary(result)}")
            hello_runs.append(result)
        stack.stop(hello)

        def median(runs, key):
            return statistics.median(key(r) for r in runs)

        def throughput(r):
            return r.throughput

        def p50(r):
            return r.percentile(50)

        def p99(r):
            return r.percentile(99)

        w_tp, h_tp = median(waveframe_runs, throughput), median(hello_runs, throughput)
        w_p50, h_p50 = median(waveframe_runs, p50), median(hello_runs, p50)
        w_p99, h_p99 = median(waveframe_runs, p99), median(hello_runs, p99)
        print("\n                 throughput      p50        p99")
        print(f"  waveframe     {w_tp:8.0f}/s  {w_p50 * 1000:7.1f} ms  {w_p99 * 1000:7.1f} ms")
        print(f"  hello-world   {h_tp:8.0f}/s  {h_p50 * 1000:7.1f} ms  {h_p99 * 1000:7.1f} ms")
        print(f"  ratio         {w_tp / h_tp * 100:7.0f} %   {w_p50 / h_p50:7.2f}x   {w_p99 / h_p99:7.2f}x"
              "   (goals: throughput >= 50 %, p99 <= 2x)")
        errors = sum(r.non_2xx + sum(r.errors.values()) for r in waveframe_runs + hello_runs)
        print(f"  errors (non-2xx + connection) across all runs: {errors}")

        if not args.skip_upload:
            figures = measure_upload(stack, web_port, web.pid, token, args.upload_mb)
            print(f"\nupload {args.upload_mb} MB WAV: HTTP {figures['status']} in {figures['seconds']:.1f} s"
                  f"{'  ' + str(figures['error']) if figures['error'] else ''}")
            print(f"  gunicorn worker RSS {figures['rss_before_mb']:.0f} MB -> peak "
                  f"{figures['rss_peak_mb']:.0f} MB: grew {figures['growth_mb']:.1f} MB (goal < 30 MB)")
    finally:
        stack.close()


if __name__ == "__main__":
    main()
