"""How much the object storage holds: total bytes and object counts by key prefix.

Shown by ``flask storage usage`` (and the admin dashboard, next). Prefixes are the first path
segment of each key (``uploads/``, ``renders/``, ...), so the answer follows whatever the bucket holds::

    {"total_bytes": 1234, "total_objects": 3,
     "by_prefix": {"renders/": {"objects": 1, "bytes": 1000},
                   "uploads/": {"objects": 2, "bytes": 234}}}
"""

from __future__ import annotations

from app.adapters import get_storage

NO_PREFIX = "(root)"


def storage_usage(prefix: str = "") -> dict:
    """Totals over every object whose key starts with ``prefix`` (default: all of them)."""
    by_prefix: dict[str, dict[str, int]] = {}
    total_bytes = total_objects = 0
    for info in get_storage().list(prefix):
        head, sep, _rest = info.key.partition("/")
        group = f"{head}/" if sep else NO_PREFIX
        entry = by_prefix.setdefault(group, {"objects": 0, "bytes": 0})
        entry["objects"] += 1
        entry["bytes"] += info.size
        total_objects += 1
        total_bytes += info.size
    return {"total_bytes": total_bytes, "total_objects": total_objects,
            "by_prefix": dict(sorted(by_prefix.items()))}
