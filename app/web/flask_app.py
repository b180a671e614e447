"""The Flask class of the app: Flask, minus two costs paid on every request for nothing.

- **Hooks checked for coroutines once.** Flask asks ``inspect.iscoroutinefunction`` of every
  before/after/teardown hook and view on every request (a dozen per request here); the answer
  for a module-level function never changes, so it is remembered (bound methods, made afresh per
  call, are asked each time as before).
- **No session serializer without a session cookie.** Flask's cookie session builds an
  itsdangerous serializer before it looks for the cookie; API requests never carry one. With no
  cookie the answer is the same empty session Flask would give; with one, Flask's own code runs.
"""

from __future__ import annotations

from types import FunctionType

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

_REMEMBERED_AT_MOST = 4096  # functions in the code: a few hundred


class CookieFirstSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


class WaveframeFlask(Flask):
    session_interface = CookieFirstSessionInterface()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict[FunctionType, object] = {}

    def ensure_sync(self, func):
        if type(func) is not FunctionType:
            return super().ensure_sync(func)
        found = self._sync.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(self._sync) < _REMEMBERED_AT_MOST:
                self._sync[func] = found
        return found
