"""Where the time of one status poll goes: SQL statements per poll, then cProfile of N polls.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
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

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.polls):
            client.get(path, headers=headers)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    finally:
        stack.close()


if __name__ == "__main__":
    main()
