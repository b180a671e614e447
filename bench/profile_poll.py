"""Where the time of one status poll goes: SQL statements of a first poll, then cProfile of N polls.

    .venv/bin/python bench/profile_poll.py [--polls 2000] [--top 40] [--sort tottime]

In-process (Flask's test client, no gunicorn, no sockets) against a private Postgres database
and Redis db, so the figures are the app's own cost per request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_bench import PASSWORD, RENDER_CONFIG, write_wav
from stack import Stack


def cpu_per_request(client, path: str, headers: dict, polls: int) -> float:
    for _ in range(100):
        client.get(path, headers=headers)
    best = None
    for _ in range(3):  # the best of three: the machine is shared
        cpu = time.process_time()
        for _ in range(polls):
            client.get(path, headers=headers)
        took = (time.process_time() - cpu) / polls * 1000
        best = took if best is None else min(best, took)
    return best


def _ids(client, path: str, headers: dict):
    import base64
    import json
    import uuid
    token = headers["Authorization"].split()[1]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return uuid.UUID(claims["sub"]), uuid.UUID(path.rsplit("/", 1)[1])


def jwt_decode_ms(app, headers: dict, n: int = 2000) -> float:
    """flask-jwt-extended's decode of the request's token (signature and claims), as a poll does
    it (the header read unverified, then the token decoded), without the loaders."""
    from flask_jwt_extended import decode_token
    from flask_jwt_extended.utils import get_unverified_jwt_headers
    token = headers["Authorization"].split()[1]
    with app.app_context():
        cpu = time.process_time()
        for _ in range(n):
            decode_token(token)
            get_unverified_jwt_headers(token)
        return (time.process_time() - cpu) / n * 1000


def _timed(fn, n: int = 2000) -> float:
    for _ in range(200):
        fn()
    best = None
    for _ in range(3):
        cpu = time.process_time()
        for _ in range(n):
            fn()
        took = (time.process_time() - cpu) / n * 1000
        best = took if best is None else min(best, took)
    return best


def alone(app, client, path: str, headers: dict) -> list[tuple[str, float]]:
    """Each part of a poll timed on its own, called as the poll calls it (steadier than the
    differences above on a busy machine)."""
    from flask import jsonify
    from flask_jwt_extended import decode_token

    from app.accounts.token_state import account_state
    from app.accounts.tokens import is_revoked
    from app.extensions import db
    from app.renders import status_cache
    from app.renders.status import job_document, read_job_status

    user_id, job_id = _ids(client, path, headers)
    token = headers["Authorization"].split()[1]
    rows = []
    with app.test_request_context(path, headers=headers):
        claims = decode_token(token)
        state = account_state(user_id)
        row = read_job_status(user_id, job_id)
        rows.append(("  alone: the revocation check (Redis EXISTS, tokens_valid_after)",
                     _timed(lambda: is_revoked(claims, state))))

        def select():
            read_job_status(user_id, job_id)
            db.session.remove()
        rows.append(("  alone: the job's SELECT (checkout, pre-ping, query, reset)", _timed(select)))
        with app.app_context():
            pool = db.engine.pool
        pool._pre_ping = False
        rows.append(("  alone: the same without pre-ping", _timed(select)))
        pool._pre_ping = True
        rows.append(("  alone: job_document + jsonify", _timed(lambda: jsonify(job_document(*row)))))
        rows.append(("  alone: the copy's lookup in Redis",
                     _timed(lambda: status_cache.lookup(user_id, job_id))))
    return rows


def parts(app, client, path: str, headers: dict, polls: int) -> None:
    """CPU per poll with one part at a time switched off, and of bare requests for scale."""
    import logging
    from unittest import mock

    from app.web.metrics.store import MetricStore

    rows = [("the poll, as served", cpu_per_request(client, path, headers, polls))]
    with mock.patch.object(MetricStore, "record", lambda self, observations: True):
        rows.append(("  without recording metrics (one Redis round trip)",
                     cpu_per_request(client, path, headers, polls)))
    from app.extensions import db
    with app.app_context():
        pool = db.engine.pool
    pool._pre_ping = False
    rows.append(("  without pool_pre_ping (its SELECT 1)", cpu_per_request(client, path, headers, polls)))
    pool._pre_ping = True
    app.config["STATUS_CACHE_SECONDS"] = 0
    rows.append(("  without the copy in Redis (the job's SELECT, its document and JSON)",
                 cpu_per_request(client, path, headers, polls)))
    app.config["STATUS_CACHE_SECONDS"] = 10
    from app.renders import routes as render_routes
    with app.test_request_context():
        from app.renders.status import status_body
        body = status_body(*_ids(client, path, headers))
    with mock.patch.object(render_routes, "status_body", lambda _user, _job: body):
        rows.append(("  without the copy's lookup (its answer kept in memory)",
                     cpu_per_request(client, path, headers, polls)))
    with mock.patch("app.accounts.guards.is_revoked", lambda _claims, _state: False):
        rows.append(("  without the revocation check (Redis EXISTS of the token ids)",
                     cpu_per_request(client, path, headers, polls)))
    http_log = logging.getLogger("waveframe.http")
    http_log.disabled = True
    rows.append(("  without the request's log line", cpu_per_request(client, path, headers, polls)))
    http_log.disabled = False
    rows.append(("GET /healthz (Flask, hooks, log line, metrics; no token, no SQL)",
                 cpu_per_request(client, "/healthz", {}, polls)))
    rows.append(("GET /api/v1/renders/<id> without a token (401 before any lookup)",
                 cpu_per_request(client, path, {}, polls)))
    rows.append(("decoding the token alone (flask-jwt-extended + PyJWT, no loaders)",
                 jwt_decode_ms(app, headers)))
    rows += alone(app, client, path, headers)
    print("\nCPU ms per request, in-process (best of 3 runs of", polls, "requests):")
    for name, ms in rows:
        print(f"  {ms:6.3f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--dump", metavar="FILE",
                        help="also write the profile to FILE (pstats format, for callers/callees)")
    parser.add_argument("--parts", action="store_true",
                        help="also the CPU of a poll with one part at a time switched off "
                             "(cProfile inflates small, call-heavy functions such as PyJWT's "
                             "base64 check several times over; these are plain timings)")
    args = parser.parse_args()
    stack = Stack("_profile")
    try:
        os.environ.update(stack.env)
        from sqlalchemy import event

        from app import create_app
        from app.extensions import db

        app = create_app()
        client = app.test_client()
        body = client.post("/api/v1/auth/register",
                           json={"email": "profile@example.com", "password": PASSWORD}).get_json()
        token = body["access_token"]
        tone = write_wav(stack.tmp / "tone.wav", 0, seconds=2.0)
        import json
        with open(tone, "rb") as fh:
            job = client.post("/api/v1/renders", headers={"Authorization": f"Bearer {token}"},
                              data={"config": json.dumps(RENDER_CONFIG), "audio": (fh, "tone.wav")},
                              content_type="multipart/form-data").get_json()
        path = f"/api/v1/renders/{job['id']}"
        headers = {"Authorization": f"Bearer {token}"}

        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_a: statements.append(statement))
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_json()
        print(f"SQL statements in one poll: {len(statements)}")
        for statement in statements:
            print("   ", " ".join(statement.split())[:160])

        for _ in range(200):  # warm up
            client.get(path, headers=headers)
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.polls):
            client.get(path, headers=headers)
        plain = (time.perf_counter() - started) / args.polls
        cpu = (time.process_time() - cpu) / args.polls
        print(f"\n{plain * 1000:.3f} ms per poll in-process, of which {cpu * 1000:.3f} ms CPU of this "
              f"process (no profiler), {args.polls} polls")

        if args.parts:
            parts(app, client, path, headers, args.polls)

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.polls):
            client.get(path, headers=headers)
        profiler.disable()
        if args.dump:
            profiler.dump_stats(args.dump)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    finally:
        stack.close()


if __name__ == "__main__":
    main()
