"""``read_keys`` (app/extensions.py): the per-request MGET on a connection each thread keeps."""

from __future__ import annotations

import threading

from app import extensions
from app.extensions import read_keys, redis_client


def _pinned_client_id() -> int:
    connection = extensions._pinned.connection
    connection.send_command("CLIENT", "ID")
    return connection.read_response()


def test_it_reads_what_mget_reads(app, app_ctx, redis_conn):
    key, missing = redis_client.key("read-keys", "a"), redis_client.key("read-keys", "missing")
    redis_conn.set(key, b"1")
    try:
        assert read_keys([key, missing, key]) == [b"1", None, b"1"]
    finally:
        redis_conn.delete(key)


def test_each_thread_keeps_one_connection_of_its_own(app, app_ctx, redis_conn):
    key = redis_client.key("read-keys", "x")
    read_keys([key])
    first = _pinned_client_id()
    for _ in range(5):
        read_keys([key])
    assert _pinned_client_id() == first  # the same connection, not a new one per call

    def other_thread():
        with app.app_context():
            read_keys([key])
            seen.append(_pinned_client_id())
    seen: list[int] = []
    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen and seen[0] != first  # the other thread made its own


def test_a_connection_the_server_dropped_is_replaced_without_an_error(app, app_ctx, redis_conn):
    key = redis_client.key("read-keys", "y")
    read_keys([key])
    dropped = _pinned_client_id()
    redis_conn.client_kill_filter(_id=dropped)  # Redis restarted, or an idle timeout
    assert read_keys([key]) == [None]
    assert _pinned_client_id() != dropped
