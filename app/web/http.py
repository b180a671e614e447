"""Cross-cutting HTTP behaviour: request ids, access logs, body limits (size, type, JSON depth),
HTTPS, proxy headers, security headers."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, current_app, g, redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.errors import PayloadTooLarge, UnsupportedMedia
from app.web.json_body import check_json_body
from app.web.metrics import observe_request

log = logging.getLogger("waveframe.http")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
BODY_TYPES = {"application/json", "multipart/form-data", "application/x-www-form-urlencoded"}
EXEMPT_FROM_HTTPS = {"/healthz", "/readyz"}

HTML_CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
            "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'")


def init_http(app: Flask) -> None:
    hops = app.config["PROXY_HOPS"]
    if hops:  # only proxies the deployment declares are believed (PROXY_HOPS, default 0)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    # These run first, ahead of hooks registered earlier (the rate limiter's, whose key
    # functions read the body): a request id for every answer, then the cheap refusals.
    ours = [_before_request]
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks[:] = ours + [hook for hook in hooks if hook not in ours]
    app.after_request(_security_headers)
    app.after_request(_log_request)


def _before_request():
    """A request id for every answer, then the cheap refusals (one hook: each costs a dispatch)."""
    _start_request()
    return _enforce_https() or _check_body() or check_json_body()


def _start_request():
    incoming = request.environ.get("HTTP_X_REQUEST_ID", "")  # X-Request-ID (REQUEST_ID_HEADER)
    context = g._get_current_object()  # one look-up of each context object per hook, not one per use
    context.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    context.request_started = time.perf_counter()


def _enforce_https():
    if (current_app.config["FORCE_HTTPS"] and not request.is_secure
            and request.path not in EXEMPT_FROM_HTTPS):
        return redirect(request.url.replace("http://", "https://", 1), code=308)
    return None


def _check_body():
    """Refuse oversized or mistyped bodies from the headers, before anything reads the body."""
    length = request.content_length
    if not length:
        return
    mimetype = request.mimetype
    limit = (current_app.config["MAX_CONTENT_LENGTH"] if mimetype == "multipart/form-data"
             else current_app.config["MAX_JSON_BODY_BYTES"])
    if length > limit:
        raise PayloadTooLarge(
            f"The request body is {length} bytes; the limit is {limit} bytes.",
            details={"limit_bytes": limit, "content_length": length})
    if request.method in {"POST", "PUT", "PATCH"} and mimetype not in BODY_TYPES:
        raise UnsupportedMedia(
            f"Content-Type {mimetype or '(none)'} is not accepted; send application/json "
            "(or multipart/form-data for uploads).", code="unsupported_content_type")


_ALWAYS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
           ("Referrer-Policy", "strict-origin-when-cross-origin"),
           ("Cross-Origin-Opener-Policy", "same-origin"))
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
_API_CSP = "default-src 'none'; frame-ancestors 'none'"


def _security_headers(response):
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}  # one pass, not one per header
    wanted = [*_ALWAYS, ("Content-Security-Policy",
                         HTML_CSP if response.mimetype == "text/html" else _API_CSP)]
    if request.is_secure:
        wanted.append(_HSTS)
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    return response


def _log_request(response):
    context, current = g._get_current_object(), request._get_current_object()
    started = context.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    rule = current.url_rule
    endpoint = rule.rule if rule else None
    method, status = current.method, response.status_code
    if current.path not in EXEMPT_FROM_HTTPS:
        log.info("request", extra={"method": method, "route": endpoint, "status": status,
                                   "duration_ms": duration_ms})
    observe_request(method, endpoint or "unmatched", status, duration_ms)
    return response
