"""Worker entry point: ``python worker.py`` (or ``flask run-worker``).

Listens to the high, default and low queues in that order, runs the RQ scheduler for
retries and delayed jobs, enqueues the periodic maintenance tasks, and shuts down warmly on
SIGTERM (the running job finishes; a second SIGTERM stops it).
"""

import argparse

from app import create_app
from app.tasks.worker import run_worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args()
    run_worker(create_app(), burst=args.burst)


if __name__ == "__main__":
    main()
