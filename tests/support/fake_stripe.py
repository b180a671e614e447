"""A small local Stripe API for tests: the real ``stripe`` SDK talks to it through ``api_base``.

Implements the endpoints Waveframe uses -- Checkout Sessions create / retrieve / expire and
refunds create (whole or a given ``amount``) -- with Stripe's idempotency replay (same
``Idempotency-Key`` -> same answer). Every request is recorded with its headers and decoded
form parameters. ``fail_next`` makes the next matching requests answer a card error (402), a
refusal of the request (400), a rate limit (429), a server error (500), or hang past the
client's timeout (the request is still carried out, as a real timeout may be).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

HANG_LIMIT_SECONDS = 10  # a hung request is answered after this at the latest

ERRORS = {
    "card_error": (402, {"type": "card_error", "code": "card_declined",
                         "decline_code": "generic_decline", "message": "Your card was declined."}),
    "rate_limit": (429, {"type": "invalid_request_error", "code": "rate_limit",
                         "message": "Too many requests hit the API too quickly."}),
    "server_error": (500, {"type": "api_error",
                           "message": "Something went wrong on Stripe's end."}),
    "invalid_request": (400, {"type": "invalid_request_error", "code": "charge_disputed",
                              "message": "This charge is disputed and cannot be refunded."}),
}


def _new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=1`` -> ``{"a": {"b": [{"c": "1"}]}}`` (Stripe's form encoding)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    """Dicts keyed 0..n-1 become lists."""
    if not isinstance(node, dict):
        return node
    node = {k: _lists(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass
class _Failure:
    kind: str
    path_prefix: str
    remaining: int


@dataclass
class FakeStripeState:
    sessions: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    idempotent: dict[str, tuple[str, int, dict]] = field(default_factory=dict)
    failures: list[_Failure] = field(default_factory=list)
    refund_status: str = "succeeded"


class FakeStripe:
    def __init__(self):
        self.state = FakeStripeState()
        self.lock = threading.Lock()
        self.release = threading.Event()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle --------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        self.release.set()  # let any hung request finish
        with self.lock:
            self.state = FakeStripeState()
        self.release = threading.Event()

    # -- commands for tests -------------------------------------------------------
    def fail_next(self, kind: str, *, times: int = 1, path_prefix: str = "/v1/") -> None:
        """The next ``times`` requests under ``path_prefix`` answer ``kind`` (card_error,
        invalid_request, rate_limit, server_error, or timeout: held past the client's timeout)."""
        if kind not in ERRORS and kind != "timeout":
            raise ValueError(kind)
        with self.lock:
            self.state.failures.append(_Failure(kind, path_prefix, times))

    def set_refund_status(self, status: str) -> None:
        with self.lock:
            self.state.refund_status = status

    def complete_session(self, session_id: str, *, payment_status: str = "paid") -> dict:
        """The customer finished Checkout: the session object a webhook would carry."""
        with self.lock:
            session = self.state.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = payment_status
            session["payment_intent"] = session["payment_intent"] or _new_id("pi")
            return json.loads(json.dumps(session))

    def session(self, session_id: str) -> dict:
        with self.lock:
            return json.loads(json.dumps(self.state.sessions[session_id]))

    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.state.requests
                    if r.method == method and r.path.startswith(path_prefix)]

    # -- the API ------------------------------------------------------------------
    def _take_failure(self, path: str) -> str | None:
        for failure in self.state.failures:
            if path.startswith(failure.path_prefix) and failure.remaining > 0:
                failure.remaining -= 1
                return failure.kind
        return None

    def handle(self, method: str, path: str, headers: dict[str, str],
               params: dict[str, Any]) -> tuple[int, dict, bool]:
        """-> (status, body, hang before answering)."""
        with self.lock:
            self.state.requests.append(RecordedRequest(method, path, headers, params))
            failure = self._take_failure(path)
            if failure in ERRORS:
                status, error = ERRORS[failure]
                return status, {"error": error}, False
            key = headers.get("idempotency-key")
            if method == "POST" and key and key in self.state.idempotent:
                first_path, status, body = self.state.idempotent[key]
                if first_path != path:
                    return 400, {"error": {"type": "idempotency_error", "message":
                                           "Keys for idempotent requests can only be used "
                                           "for the same endpoint."}}, False
                return status, body, failure == "timeout"
            status, body = self._route(method, path, params)
            if method == "POST" and key and status < 500:
                self.state.idempotent[key] = (path, status, body)
            return status, body, failure == "timeout"

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, self._create_session(params)
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)(/expire)?", path)
        if match:
            session = self.state.sessions.get(match.group(1))
            if session is None:
                return 404, {"error": {"type": "invalid_request_error",
                                       "code": "resource_missing", "message": "No such session"}}
            if match.group(2) and method == "POST":
                if session["status"] != "open":
                    return 400, {"error": {"type": "invalid_request_error", "message":
                                           "Only open sessions can be expired."}}
                session["status"], session["url"] = "expired", None
            return 200, session
        if method == "POST" and path == "/v1/refunds":
            refund = {"id": _new_id("re"), "object": "refund",
                      "payment_intent": params.get("payment_intent"), "amount": None,
                      "status": self.state.refund_status, "metadata": params.get("metadata", {}),
                      "charge": _new_id("ch"), "created": int(time.time())}
            for session in self.state.sessions.values():
                if session["payment_intent"] == refund["payment_intent"]:
                    refund["amount"] = session["amount_total"]
            if params.get("amount") is not None:  # a partial refund
                refund["amount"] = int(params["amount"])
            self.state.refunds[refund["id"]] = refund
            return 200, refund
        return 404, {"error": {"type": "invalid_request_error", "message": f"No route {path}"}}

    def _create_session(self, params: dict[str, Any]) -> dict:
        line = params["line_items"][0]
        price = line["price_data"]
        session_id = _new_id("cs")
        session = {
            "id": session_id, "object": "checkout.session", "mode": params.get("mode"),
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "status": "open", "payment_status": "unpaid", "payment_intent": None,
            "amount_total": int(price["unit_amount"]) * int(line.get("quantity", 1)),
            "currency": price["currency"],
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "metadata": params.get("metadata", {}),
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "expires_at": int(time.time()) + 24 * 3600, "created": int(time.time()),
        }
        self.state.sessions[session_id] = session
        return session


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        parts = urlsplit(self.path)
        pairs = parse_qsl(raw, keep_blank_values=True) + parse_qsl(parts.query)
        headers = {k.lower(): v for k, v in self.headers.items()}
        release = self.fake.release
        status, body, hang = self.fake.handle(method, parts.path, headers, decode_form(pairs))
        if hang:
            release.wait(HANG_LIMIT_SECONDS)
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_" + secrets.token_hex(8))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")
