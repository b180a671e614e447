"""What ``GET /templates`` serves: the engine's templates, their option schemas and defaults, as
one JSON document with its ETag (computed once per process: the catalog never changes while it
runs)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from app.rendering import catalog


@lru_cache(maxsize=1)
def templates_document() -> tuple[bytes, str]:
    """(the JSON body, its ETag)."""
    body = json.dumps({"items": catalog.list_templates(), "config_schema": catalog.config_schema()},
                      sort_keys=True, separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:32]
