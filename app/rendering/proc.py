"""Child-process bookkeeping: find, measure and kill the processes a render started.

Linux only (reads ``/proc``), which is where the worker runs.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from collections.abc import Iterable, Sequence

log = logging.getLogger(__name__)

FFMPEG = os.environ.get("FFMPEG_PATH", "ffmpeg")
FFPROBE = os.environ.get("FFPROBE_PATH", "ffprobe")


def _parent_map() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name is in parentheses and may contain spaces: split after the last ")"
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            parents[int(entry)] = int(fields[1])
    return parents


def descendants(pid: int | None = None) -> set[int]:
    """All living descendants of ``pid`` (default: this process)."""
    root = os.getpid() if pid is None else pid
    children: dict[int, list[int]] = {}
    for child, parent in _parent_map().items():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    return int(stat[stat.rfind(b")") + 2 :].split()[1])


def kill_pids(pids: Iterable[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :][:1] != b"Z"


def tree_memory_bytes(pid: int | None = None) -> int:
    """Proportional set size (PSS) summed over ``pid`` and its descendants (RSS if PSS is unreadable)."""
    root = os.getpid() if pid is None else pid
    total = 0
    for p in {root} | descendants(root):
        total += _pss_bytes(p)
    return total


def _pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def run_tool(
    cmd: Sequence[str], *, timeout: float, input_bytes: bytes | None = None
) -> subprocess.CompletedProcess:
    """Run ffmpeg/ffprobe to completion, killing it if it overruns ``timeout``."""
    log.debug("run_tool", extra={"cmd": " ".join(cmd)})
    return subprocess.run(list(cmd), input=input_bytes, capture_output=True, timeout=timeout, check=False)


def stop_process(proc: subprocess.Popen | None, *, grace: float = 0.0) -> None:
    """Kill ``proc`` (after ``grace`` seconds of waiting for it to exit) and reap it."""
    if proc is None or proc.poll() is not None:
        return
    if grace > 0:
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        log.warning("process_not_reaped", extra={"pid": proc.pid})
