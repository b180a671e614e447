"""The answer of a status poll, kept in Redis until the job changes.

A poll on a job that has not changed since the last poll is one Redis round trip instead of a
SELECT, a document and its JSON. Every web process and worker shares the copy, and every change
drops it:

- each commit that changed a ``render_jobs`` or ``render_outputs`` row through the ORM (status
  changes, cancel, retry, completion, the console's actions) forgets that job after the commit;
- the two writes that bypass the ORM's unit of work (``record_progress`` and the chunks' progress)
  call :func:`forget` themselves after their commit.

A poll reads the copy in the same Redis round trip as its token's revocation check
(``app.web.auth.read_with_token_check``). Forgetting bumps a per-job generation counter and
deletes the copy. A poll that missed reads the generation with its miss, then the database, and
stores its answer only if the generation is still the one it read (a Lua compare-and-set): an
answer read before a change can never be stored after that change was forgotten.
``STATUS_CACHE_SECONDS`` (default 10; 0 turns the copy off) bounds how long any copy lives,
which also bounds the one field written without a forget (the render watcher's heartbeat
stamping ``progress_updated_at``). The copy holds the owner's id next to the answer; another
user's token gets the same 404 as before. Without Redis, polls read the database as they did
before the copy existed. Each web process also remembers the copies it read until a change is
announced (``app/web/mirror.py``): a repeated poll then asks Redis nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

import redis
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import get_redis, redis_client
from app.models import RenderJob, RenderOutput
from app.web.auth import prefetched, read_with_token_check
from app.web.mirror import MISSING, mirror

log = logging.getLogger(__name__)

GENERATION_SECONDS = 24 * 3600  # a generation outlives every copy stored under it
_CHANGED_KEY = "waveframe.render_jobs_changed"
_STORE_IF_UNCHANGED = """
if (redis.call('GET', KEYS[1]) or '') == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""


def _keys(job_id) -> tuple[str, str]:
    return redis_client.key("status", "gen", str(job_id)), redis_client.key("status", "doc", str(job_id))


def _memory_key(job_id) -> str:
    return f"job:{job_id}"


def _seconds() -> int:
    return int(current_app.config.get("STATUS_CACHE_SECONDS", 10))


def lookup(user_id: uuid.UUID, job_id: uuid.UUID) -> tuple[bytes | None, bytes | None]:
    """(the stored answer if it is this user's, the job's generation); (None, None) when the copy
    is off or Redis does not answer (then nothing is stored either)."""
    seconds = _seconds()
    if seconds <= 0:
        return None, None
    memory = mirror()
    remembered = memory.get(_memory_key(job_id))
    if remembered is not MISSING:  # this process read it, and no change was heard since
        return _owned_by(remembered, user_id), None
    gen_key, doc_key = _keys(job_id)
    # The ticket is taken before the read: the token check's, when it read these keys for us.
    found = prefetched([doc_key, gen_key])
    if found is not None:
        (stored, generation), ticket = found
    else:
        ticket = memory.ticket()
        try:
            stored, generation = get_redis().mget(doc_key, gen_key)
        except redis.RedisError:
            return None, None
    if stored is not None:
        memory.put(_memory_key(job_id), stored, ticket, seconds)
        return _owned_by(stored, user_id), generation
    return None, generation or b""


def _owned_by(stored: bytes, user_id: uuid.UUID) -> bytes | None:
    """The kept answer if it is this user's job (else None: the database then says 404)."""
    owner, _, body = stored.partition(b"\n")
    return body if owner == str(user_id).encode() else None


def store(user_id: uuid.UUID, job_id: uuid.UUID, generation: bytes | None, body: bytes) -> None:
    """Keep ``body`` unless the job changed since ``generation`` was read."""
    if generation is None:
        return
    gen_key, doc_key = _keys(job_id)
    stored, seconds = str(user_id).encode() + b"\n" + body, _seconds()
    memory = mirror()
    ticket = memory.ticket()
    try:
        kept = get_redis().eval(_STORE_IF_UNCHANGED, 2, gen_key, doc_key, generation, stored, seconds)
    except redis.RedisError:
        return
    if kept:  # the job had not changed since the answer was read: this process may keep it too
        memory.put(_memory_key(job_id), stored, ticket, seconds)


def forget(job_ids: Iterable[uuid.UUID]) -> None:
    """The jobs changed: drop their copies and move their generations on."""
    ids = {str(job_id) for job_id in job_ids if job_id is not None}
    if not ids:
        return
    memory, remembered = mirror(), [_memory_key(job_id) for job_id in ids]
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            for job_id in ids:
                gen_key, doc_key = _keys(job_id)
                pipe.incr(gen_key)
                pipe.expire(gen_key, GENERATION_SECONDS)
                pipe.delete(doc_key)
            memory.announce(pipe, remembered)  # every web process's memory of them, after them
            pipe.execute()
    except redis.RedisError:
        # The copies then live out STATUS_CACHE_SECONDS at most.
        log.warning("status_cache_forget_failed", extra={"jobs": len(ids)})
    finally:
        memory.dropped(remembered)


def prefetch(view_args: dict) -> list[str]:
    """The keys a poll reads, fetched with the token's revocation check (app.web.auth)."""
    if _seconds() <= 0 or "job_id" not in view_args:
        return []
    gen_key, doc_key = _keys(view_args["job_id"])
    return [doc_key, gen_key]


def _changed_jobs(session: Session) -> set:
    changed = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, RenderJob):
            changed.add(obj.id)
        elif isinstance(obj, RenderOutput):
            changed.add(obj.render_job_id)
    changed.discard(None)
    return changed


def _after_flush(session: Session, _context) -> None:
    changed = _changed_jobs(session)
    if changed:
        session.info.setdefault(_CHANGED_KEY, set()).update(changed)


def _after_commit(session: Session) -> None:
    changed = session.info.pop(_CHANGED_KEY, None)
    if changed:
        try:
            forget(changed)
        except RuntimeError:  # no app context (nothing can have stored a copy through it either)
            pass


_listening = False


def init_status_cache(app: Flask) -> None:
    global _listening
    app.config.setdefault("STATUS_CACHE_SECONDS", 10)
    read_with_token_check("renders.get_job", prefetch)
    if not _listening:  # process-wide, once (tests create many apps)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        # Nothing on rollback: a forget too many (a flush rolled back, then another commit) is
        # harmless, one too few (a savepoint's rollback inside a transaction that commits) not.
        _listening = True
