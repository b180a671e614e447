"""Everything the app has stored, read raw: every Redis value and every database row.

RQ keeps a job's function and arguments (``data``), its failure (``exc_info``) and its result
zlib-compressed; a search through the raw bytes would never find a secret in there, so each
value that decompresses is searched in both forms, and a pickled payload also as the repr of
what it holds.
"""

from __future__ import annotations

import pickle
import zlib

import redis
from sqlalchemy import select

from app.extensions import db


def _values(conn: redis.Redis, key: bytes) -> list[bytes]:
    kind = conn.type(key)
    if kind == b"string":
        return [conn.get(key) or b""]
    if kind == b"hash":
        return [part for pair in conn.hgetall(key).items() for part in pair]
    if kind == b"list":
        return conn.lrange(key, 0, -1)
    if kind == b"set":
        return list(conn.smembers(key))
    if kind == b"zset":
        return conn.zrange(key, 0, -1)
    if kind == b"stream":
        return [part for _id, fields in conn.xrange(key) for pair in fields.items() for part in pair]
    return []


def _readable_forms(value: bytes) -> list[bytes]:
    forms = [value]
    try:
        inflated = zlib.decompress(value)
    except zlib.error:
        return forms
    forms.append(inflated)
    try:
        forms.append(repr(pickle.loads(inflated)).encode())
    except Exception:  # not a pickle (exc_info is plain text)
        pass
    return forms


def redis_contents(conn: redis.Redis) -> dict[str, bytes]:
    """``{key: every value of the key, raw, inflated and unpickled, joined}``."""
    contents = {}
    for key in conn.scan_iter(count=500):
        forms = [form for value in _values(conn, key) for form in _readable_forms(value)]
        contents[key.decode()] = b"\n".join(forms)
    return contents


def rq_job_payloads(conn: redis.Redis) -> dict[str, bytes]:
    """``{job id: the job's function and arguments, inflated}`` for every RQ job in Redis."""
    payloads = {}
    for key in conn.scan_iter(match="rq:job:*"):
        data = conn.hget(key, "data")
        if data is not None:
            payloads[key.decode().removeprefix("rq:job:")] = zlib.decompress(data)
    return payloads


def database_contents() -> dict[str, str]:
    """``{table: every row of the table, as text}`` for every table of the app."""
    db.session.expire_all()
    contents = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            contents[table.name] = "\n".join(repr(tuple(row)) for row in rows)
    return contents
