"""How long a change takes to reach another web process's mirror (app/web/mirror.py).

    .venv/bin/python bench/mirror_delivery.py [--changes 200]

Two mirrors on a private Redis db (``bench/stack.py``), each with its own listener thread, as two
web processes have: the second remembers a key, the first announces a change of it, and the time
until the second has dropped it is measured (the reader spins on its memory, so the figure
includes waiting for the interpreter lock, as a busy web process would).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import Stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()
    if not 1 <= args.changes <= 10_000:
        parser.error("bounded run: --changes 1..10000")
    import redis

    from app.web.mirror import MISSING, Mirror
    stack = Stack("_mirror")
    try:
        connection = redis.Redis.from_url(stack.services.redis_url)
        channel = "mirror-delivery:changed"
        here, there = Mirror(connection, channel), Mirror(connection, channel)
        there.get("start")  # starts its listener
        deadline = time.monotonic() + 10
        while not there.live():
            if time.monotonic() > deadline:
                raise SystemExit("the listener did not subscribe within 10 s")
            time.sleep(0.01)
        took = []
        for number in range(args.changes):
            key = f"token:{number}"
            assert there.put(key, False, there.ticket(), 60)
            started = time.perf_counter()
            here.changed([key])
            while there.get(key) is not MISSING:
                pass
            took.append((time.perf_counter() - started) * 1000)
        took.sort()
        print(f"a change heard by the other mirror after: median {statistics.median(took):.2f} ms, "
              f"p99 {took[max(0, int(len(took) * 0.99) - 1)]:.2f} ms, max {took[-1]:.2f} ms "
              f"({args.changes} changes)")
        there.stop()
    finally:
        stack.close()


if __name__ == "__main__":
    main()
