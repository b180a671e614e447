"""Soak: mixed API traffic on gunicorn (Procfile settings) while a real worker renders, for a
bounded time; errors and memory per minute for the web and the worker (loopback only).

    .venv/bin/python bench/soak_bench.py [--seconds 600] [--clients 8] [--upload-every 20]

A private Postgres database and Redis db (rate limits off); gunicorn ``wsgi:app`` and
``python worker.py``. ``--clients`` threads, each a keep-alive connection with its own account,
loop over the reads a client makes (its render, its list, templates, pricing, account, health)
and a few refusals (an unknown job -> 404, a bad page -> 422, no token -> 401) with a short pause;
one more thread uploads a 2-second WAV every ``--upload-every`` seconds (the worker renders each
at 720x720, 24 fps) and logs in once a minute. An answer with another status than the one
expected, or a connection error, is an error. Each minute prints requests, errors, renders
finished, and RSS: the gunicorn workers (sum), the RQ worker process, and the worker's whole
tree (work horse, Chromium, FFmpeg) at that instant (it varies with the render under way). At
the end: every render must have completed (none failed, none left behind within a grace
period), and memory growth from the first minute to the last.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import struct
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_bench import PASSWORD, RENDER_CONFIG, register, start_web, upload_render, write_wav
from stack import HOST, Stack, children, descendants, rss_mb


class Traffic:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.errors: Counter = Counter()
        self.samples: list[str] = []
        self.job_ids: list[str] = []
        self.stop = threading.Event()

    def record(self, ok: bool, what: str) -> None:
        with self.lock:
            self.requests += 1
            if not ok:
                self.errors[what] += 1
                if len(self.samples) < 10:
                    self.samples.append(what)


def client_loop(port: int, token: str, job_id: str, traffic: Traffic, pause: float) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    auth = {"Authorization": f"Bearer {token}"}
    rng = random.Random()

    def call(method, path, expected, headers=None, body=None):
        nonlocal conn
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            ok = response.status == expected
            traffic.record(ok, f"{method} {path.split('?')[0][:40]} -> {response.status}"
                               f" {data[:120]!r}" if not ok else "")
            return data if ok else None
        except (OSError, http.client.HTTPException) as exc:
            traffic.record(False, f"{method} {path[:40]} -> {type(exc).__name__}")
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=60)
            return None

    while not traffic.stop.is_set():
        for _ in range(3):  # polls dominate, as in real use
            call("GET", f"/api/v1/renders/{job_id}", 200, auth)
        call("GET", f"/api/v1/renders/{rng.choice(traffic.job_ids)}", 404, auth)  # another's job
        call("GET", "/api/v1/renders?page=1&per_page=20", 200, auth)
        call("GET", "/api/v1/templates", 200)
        call("GET", "/api/v1/pricing", 200)
        call("GET", "/api/v1/account", 200, auth)
        call("GET", "/healthz", 200)
        call("GET", f"/api/v1/renders/{uuid.uuid4()}", 404, auth)
        call("GET", "/api/v1/renders?page=0", 422, auth)
        call("GET", "/api/v1/account", 401)
        traffic.stop.wait(pause)
    conn.close()


def uploader_loop(port: int, token: str, email: str, audio: Path, traffic: Traffic, every: float,
                  created: list[str]) -> None:
    next_login = time.monotonic() + 60
    pcm = bytearray(audio.read_bytes())
    uploads = 0
    while not traffic.stop.is_set():
        # A new track each time: the same bytes again would be the render the user already has
        # (the render cache answers 200 with that job), not a new render.
        uploads += 1
        pcm[-4:] = struct.pack("<hh", uploads % 30000, uploads % 30000)  # the last stereo sample
        track = audio.with_name(f"upload-{uploads}.wav")
        track.write_bytes(pcm)
        try:
            status, body = upload_render(port, token, track, RENDER_CONFIG, timeout=120)
            ok = status == 201
            traffic.record(ok, f"POST /api/v1/renders -> {status} {str(body)[:120]}")
        except OSError as exc:
            ok = False
            traffic.record(False, f"POST /api/v1/renders -> {type(exc).__name__}")
        track.unlink(missing_ok=True)
        if ok:
            created.append(body["id"])
        if time.monotonic() > next_login:
            next_login += 60
            conn = http.client.HTTPConnection(HOST, port, timeout=60)
            try:
                conn.request("POST", "/api/v1/auth/login", headers={"Content-Type": "application/json"},
                             body=json.dumps({"email": email, "password": PASSWORD}))
                response = conn.getresponse()
                response.read()
                traffic.record(response.status == 200, f"POST /auth/login -> {response.status}")
            except OSError as exc:
                traffic.record(False, f"POST /auth/login -> {type(exc).__name__}")
            finally:
                conn.close()
        traffic.stop.wait(every)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between a client's rounds")
    parser.add_argument("--upload-every", type=float, default=20.0)
    parser.add_argument("--grace", type=int, default=180, help="seconds to let the last renders finish")
    args = parser.parse_args()
    if not 30 <= args.seconds <= 4 * 3600 or not 1 <= args.clients <= 64:
        parser.error("bounded run: --seconds 30..14400, --clients 1..64")

    stack = Stack("_soak", JWT_ACCESS_TOKEN_SECONDS=str(args.seconds + args.grace + 600))
    traffic = Traffic()
    try:
        web, port = start_web(stack, "wsgi:app", "web.log")
        worker = stack.worker()
        audio = write_wav(stack.tmp / "tone.wav", 0, seconds=2.0)
        uploader_email = f"soak-uploader-{uuid.uuid4().hex[:8]}@example.com"
        uploader_token = register(port, uploader_email)
        created: list[str] = []
        status, body = upload_render(port, uploader_token, audio)
        assert status == 201, (status, body)
        created.append(body["id"])
        threads = []
        for _ in range(args.clients):
            token = register(port)
            status, body = upload_render(port, token, audio)  # each client polls its own job
            assert status == 201, (status, body)
            created.append(body["id"])
            threads.append(threading.Thread(target=client_loop, daemon=True,
                                             args=(port, token, body["id"], traffic, args.pause)))
        traffic.job_ids.append(created[0])  # the uploader's first job: 404 to every client
        threads.append(threading.Thread(target=uploader_loop, args=(
            port, uploader_token, uploader_email, audio, traffic, args.upload_every, created),
            daemon=True))
        print(f"soak: {args.seconds} s, {args.clients} clients + 1 uploader "
              f"(every {args.upload_every:.0f} s), gunicorn {' '.join(stack.processes[0].args[1:])}, "
              f"worker pid {worker.pid}")
        print(" min  requests  errors  renders done  web RSS MB (workers)  worker RSS MB  worker tree MB")
        started = time.monotonic()
        for thread in threads:
            thread.start()
        minute_rows = []
        last_requests = 0
        elapsed_minutes = 0
        while time.monotonic() - started < args.seconds:
            time.sleep(min(60, args.seconds - (time.monotonic() - started)))
            elapsed_minutes += 1
            # The gunicorn workers only: a child they fork for ffprobe shows their own RSS until it
            # execs, which would count a worker twice.
            web_rss = sum(rss_mb(pid) for pid in children(web.pid))
            worker_rss = rss_mb(worker.pid)
            tree = worker_rss + sum(rss_mb(pid) for pid in descendants(worker.pid))
            with traffic.lock:
                requests, errors = traffic.requests, sum(traffic.errors.values())
            finished = count_finished(stack)
            minute_rows.append((web_rss, worker_rss))
            print(f" {elapsed_minutes:3d}  {requests - last_requests:8d}  {errors:6d}  {finished:12d}"
                  f"  {web_rss:20.1f}  {worker_rss:13.1f}  {tree:14.1f}", flush=True)
            last_requests = requests
        traffic.stop.set()
        for thread in threads:
            thread.join(timeout=130)
        deadline = time.monotonic() + args.grace
        while time.monotonic() < deadline and count_unfinished(stack):
            time.sleep(2)
        states = job_states(stack)
        with traffic.lock:
            print(f"\nrequests {traffic.requests}, errors {sum(traffic.errors.values())}")
            for sample in traffic.samples:
                print(f"  error: {sample}")
        print(f"renders created {len(created)}: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())))
        if len(minute_rows) >= 2:
            (web_first, worker_first), (web_last, worker_last) = minute_rows[0], minute_rows[-1]
            print(f"memory from minute 1 to minute {len(minute_rows)}: "
                  f"web {web_first:.1f} -> {web_last:.1f} MB ({web_last - web_first:+.1f}), "
                  f"worker {worker_first:.1f} -> {worker_last:.1f} MB ({worker_last - worker_first:+.1f})")
        stack.stop(worker)
    finally:
        traffic.stop.set()
        stack.close()


def job_states(stack: Stack) -> Counter:
    import psycopg2
    with psycopg2.connect(stack.services.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM render_jobs GROUP BY status")
        return Counter(dict(cur.fetchall()))


def count_finished(stack: Stack) -> int:
    states = job_states(stack)
    return sum(n for s, n in states.items() if s in ("completed", "failed", "canceled", "expired"))


def count_unfinished(stack: Stack) -> int:
    states = job_states(stack)
    return sum(n for s, n in states.items() if s in ("queued", "rendering", "awaiting_payment"))


if __name__ == "__main__":
    main()
