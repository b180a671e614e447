"""The context of a queued email, sealed while it waits in Redis.

The context travels in the RQ job's arguments *encrypted* (Fernet, key derived from
``SECRET_KEY``), so Redis, the failed-job registry and RQ's own log lines only ever hold
ciphertext.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet
from flask import current_app


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"waveframe-email-context:" + current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def seal_context(context: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(context, default=str).encode()).decode()


def unseal_context(sealed: str) -> dict[str, Any]:
    """The context back (raises ``cryptography.fernet.InvalidToken`` for anything tampered)."""
    return json.loads(_fernet().decrypt(sealed.encode()))
