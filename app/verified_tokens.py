"""A per-process memory of tokens whose signature was already verified.

Flask-JWT-Extended parses every token four times per request (claims unverified, header, claims
verified, header again), and PyJWT 2.15 checks each base64 segment character by character in
Python: about 0.45 ms of CPU per request, a fifth of a status poll (bench/profile_poll.py).

A token is a fixed string whose signature either matches our key or does not, so the result of
a successful verification can be remembered, keyed on the exact whole string (header, claims and
signature) and the key it verified with: the same bytes verify the same way under the same key
every time (a rotated ``JWT_SECRET_KEY`` finds nothing remembered). What does change with time is
re-checked on every use: expiry, against the same leeway. Everything that is not a property of
the string is still checked per request by the guards, uncached here: the revocation blocklist,
the account's state (``app.accounts.token_state``), the token's type and freshness.

Only tokens read from the Authorization header are remembered (a cookie token with a CSRF value
and a decode that allows expired tokens take the library's own path), only after they verified,
and at most ``MAX_TOKENS`` of them (least recently used first out).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import flask_jwt_extended.view_decorators as view_decorators
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config as jwt_config
from jwt.exceptions import ExpiredSignatureError

MAX_TOKENS = 4096


class VerifiedTokens:
    """(decode key, token string) -> (header, claims) of tokens that verified; thread-safe,
    bounded LRU."""

    def __init__(self, size: int = MAX_TOKENS) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, tuple[dict, dict]] = OrderedDict()

    def get(self, token: str) -> tuple[dict, dict] | None:
        key = (jwt_config.decode_key, token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, token: str, header: dict, claims: dict) -> None:
        key = (jwt_config.decode_key, token)
        with self._lock:
            self._entries[key] = (header, claims)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


verified = VerifiedTokens()


def _check_expiry(claims: dict) -> None:
    """PyJWT's ``exp`` rule (``exp <= now - leeway`` has expired), applied on every use."""
    exp = claims.get("exp")
    if exp is not None and exp <= time.time() - jwt_config.leeway:
        raise ExpiredSignatureError("Signature has expired")


class CachingJWTManager(JWTManager):
    """``JWTManager`` whose decode remembers header-borne tokens that verified (see above)."""

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None,
                                allow_expired: bool = False) -> dict:
        cacheable = csrf_value is None and not allow_expired and isinstance(encoded_token, str)
        if cacheable:
            entry = verified.get(encoded_token)
            if entry is not None:
                claims = entry[1]
                try:
                    _check_expiry(claims)
                except ExpiredSignatureError as error:
                    error.jwt_header, error.jwt_data = dict(entry[0]), dict(claims)
                    raise
                return dict(claims)
        claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        if cacheable:
            # The header as PyJWT parses it, read once while the token is known to be good.
            verified.put(encoded_token, _original_unverified_headers(encoded_token), dict(claims))
        return claims


_original_unverified_headers = view_decorators.get_unverified_jwt_headers


def _unverified_headers(encoded_token):
    """The header of a token: remembered when the token verified (the request's guard decodes
    the token just before it asks for its header), parsed otherwise."""
    if isinstance(encoded_token, str):
        entry = verified.get(encoded_token)
        if entry is not None:
            return dict(entry[0])
    return _original_unverified_headers(encoded_token)


# The guard reads the header through this module-level name right after decoding the token.
view_decorators.get_unverified_jwt_headers = _unverified_headers
