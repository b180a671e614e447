"""The web process gives argon2's buffers back: a password hash (19 MiB) per login must not stay
in a per-thread malloc arena (the soak's ~19 MB steps, docs/RELIABILITY.md "Soak").

The Procfile's web command and the image set ``MALLOC_MMAP_THRESHOLD_``; a process started with
what the Procfile sets hashes in successive threads and its resident memory stays flat, while the
same process without it keeps a buffer per arena (the control, so the test can fail).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

HASH_IN_THREADS = """
import threading
from argon2 import PasswordHasher

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

hasher = PasswordHasher(memory_cost=19456)
hasher.hash("warm-up")
before = rss_mb()
for number in range(6):  # successive threads, as gunicorn's request threads
    thread = threading.Thread(target=hasher.hash, args=(f"password-{number}",))
    thread.start()
    thread.join()
print(rss_mb() - before)
"""


def _growth_mb(env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", HASH_IN_THREADS], env=env, capture_output=True,
                         text=True, timeout=60, check=True)
    return float(out.stdout.strip())


def _procfile_threshold() -> str:
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines()
               if line.startswith("web:"))
    found = re.search(r"MALLOC_MMAP_THRESHOLD_=\$\{MALLOC_MMAP_THRESHOLD_:-(\d+)\}", web)
    assert found, web
    return found.group(1)


def test_the_web_process_returns_password_hash_buffers():
    threshold = _procfile_threshold()
    assert f"MALLOC_MMAP_THRESHOLD_={threshold}" in (ROOT / "Dockerfile").read_text()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    kept = _growth_mb(env)
    given_back = _growth_mb({**env, "MALLOC_MMAP_THRESHOLD_": threshold})
    assert kept > 30, f"the control kept only {kept:.1f} MB: the test would not see the leak"
    assert given_back < 8, f"{given_back:.1f} MB stayed after six hashes"
