"""What one wait on Redis costs a request under gunicorn's threads (docs/RELIABILITY.md, "Load").

    .venv/bin/python bench/redis_wait.py [--seconds 8] [--rounds 2]

The bare hello-world of ``make load`` against the same app plus one ``MGET`` per request
(``bench/hello_redis_app.py``), each on the Procfile's gunicorn settings (``--threads 4``) and
with ``--threads 1``, interleaved; prints throughput and gunicorn CPU per answer. A private
Redis db (``bench/stack.py``), loopback only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_bench import poll_load
from loadgen import wait_until_serving
from stack import HOST, ROOT, Stack, free_port, procfile_web_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()
    if not 1 <= args.seconds <= 60 or not 1 <= args.rounds <= 5 or not 1 <= args.clients <= 500:
        parser.error("bounded run: --seconds 1..60, --rounds 1..5, --clients 1..500")
    stack = Stack("_redis_wait")
    try:
        for _round in range(args.rounds):
            for threads in (4, 1):
                for app_spec in ("hello_app:app", "hello_redis_app:app"):
                    port = free_port()
                    command, assignments = procfile_web_command(
                        app_spec, port, ["--pythonpath", str(ROOT / "bench")])
                    command[command.index("--threads") + 1] = str(threads)
                    server = stack.start(command, "redis_wait.log", **assignments)
                    wait_until_serving(HOST, port, "/healthz")
                    result = poll_load(port, "/api/v1/renders/x", None, args.clients,
                                       args.seconds, server.pid)
                    print(f"  {app_spec:22s} --threads {threads}  {result.summary()}  "
                          f"gunicorn CPU {result.cpu_ms['gunicorn']:.2f} ms/answer", flush=True)
                    stack.stop(server)
    finally:
        stack.close()


if __name__ == "__main__":
    main()
