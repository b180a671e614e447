"""Structured JSON logs with a request id (web) or job id (worker) on every line.

Values under sensitive names (password, token, secret, authorization, signature, url, link...)
and anything that looks like a bearer token or a signed URL query are redacted before output.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from flask import Flask, g, has_request_context
from rq import get_current_job

SENSITIVE_KEY = re.compile(r"pass(word)?|token|secret|authorization|api_?key|signature|cookie|"
                           r"(^|_)url$|link|credential|card", re.I)
SENSITIVE_VALUE = [
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"(?i)([?&](?:x-goog-[a-z-]+|signature|token|expires|sig|key)=)[^&\s\"']+"),
     r"\1[redacted]"),
    (re.compile(r"\b(sk|rk|pk|whsec)_(live|test)?_?[A-Za-z0-9]{6,}"), "[redacted-key]"),
    (re.compile(r"\bSG\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), "[redacted-key]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), "[redacted-jwt]"),
]
REDACTED = "[redacted]"
# Every SENSITIVE_VALUE pattern needs one of these to match; text without any is left as it is
# after one search instead of five substitutions (a request's log line has several strings).
_MAYBE_SENSITIVE = re.compile(r"(?i)bearer|[?&]|(?:sk|rk|pk|whsec)_|SG\.|eyJ")
_sensitive_keys: dict[str, bool] = {}

# Attributes every LogRecord has; everything else was passed with ``extra=``.
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def redact_text(text: str) -> str:
    if not _MAYBE_SENSITIVE.search(text):
        return text
    for pattern, replacement in SENSITIVE_VALUE:
        text = pattern.sub(replacement, text)
    return text


def _sensitive_key(key: str) -> bool:
    found = _sensitive_keys.get(key)
    if found is None:
        found = SENSITIVE_KEY.search(key) is not None
        if len(_sensitive_keys) < 1000:  # log keys are names in the code: a few dozen
            _sensitive_keys[key] = found
    return found


def redact(value, key: str = ""):
    if key and _sensitive_key(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


class ContextFilter(logging.Filter):
    """Adds request_id (inside a request) and job_id (inside an RQ job) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None) and has_request_context():
            record.request_id = getattr(g, "request_id", None)
        if not getattr(record, "job_id", None) and not has_request_context():
            try:
                job = get_current_job()
            except Exception:  # outside a worker RQ may find no connection to ask
                job = None
            if job is not None:
                record.job_id = job.id
        return True


_second = (0, "")  # the last whole second formatted, shared by every line within it


def timestamp(created: float) -> str:
    """``created`` as ISO 8601 UTC to the millisecond (``2026-12-05T06:02:56.932+00:00``); the
    date part is formatted once a second, not once a line."""
    global _second
    whole = int(created)
    micro = round((created - whole) * 1_000_000)  # rounded as datetime.fromtimestamp rounds
    if micro == 1_000_000:
        whole, micro = whole + 1, 0
    second = _second
    if second[0] != whole:
        second = _second = (whole, datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{second[1]}.{micro // 1000:03d}+00:00"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact_text(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if value is not None and key not in _STANDARD_ATTRS and key[0] != "_":
                entry[key] = redact(value, key)
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = {k: redact(v, k) for k, v in vars(record).items()
                  if k not in _STANDARD_ATTRS and not k.startswith("_") and v is not None}
        line = f"{record.levelname:<7} {record.name}: {redact_text(record.getMessage())}"
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        if record.exc_info:
            line += "\n" + redact_text(self.formatException(record.exc_info))
        return line


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (gunicorn, honcho and pytest swap it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure_logging(app: Flask) -> None:
    """Route the root logger through one handler (idempotent across app instances)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_waveframe", False)), None)
    if handler is None:
        handler = StderrHandler()
        handler._waveframe = True
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if app.config["LOG_FORMAT"] == "json" else TextFormatter())
    root.setLevel(app.config["LOG_LEVEL"])
    for noisy in ("urllib3", "werkzeug", "google", "stripe", "playwright", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
