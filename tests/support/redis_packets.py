"""Count what a test's code sends to Redis: every packet (one command, a pipeline or a
MULTI/EXEC is one packet) passes through ``send_packed_command``."""

from __future__ import annotations

import redis.connection


def record_packets(monkeypatch) -> list:
    """The packets sent to Redis from now on, in order, for the rest of the test."""
    sent = []
    original = redis.connection.AbstractConnection.send_packed_command

    def recording(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)
    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", recording)
    return sent
