"""Service-account keys for tests, and an independent check of GCS V4 signed URLs.

The emulator does not check signatures, so tests verify them here, following Google's
published V4 signing process (canonical request -> string to sign -> RSA-SHA256), with the
public half of a key generated for the test.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNER_EMAIL = "waveframe-signer@test-project.iam.gserviceaccount.com"


@dataclass
class ServiceAccountKey:
    private_key: rsa.RSAPrivateKey
    email: str = SIGNER_EMAIL

    @classmethod
    def generate(cls, email: str = SIGNER_EMAIL) -> ServiceAccountKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), email)

    def info(self) -> dict:
        pem = self.private_key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode()
        return {"type": "service_account", "project_id": "test-project",
                "private_key_id": "test-key-1", "private_key": pem, "client_email": self.email,
                "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.info()))
        return path

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())


@dataclass(frozen=True)
class SignedURL:
    url: str
    params: dict[str, str]
    signed_at: datetime
    expires_in: int

    @property
    def expires_at(self) -> datetime:
        return self.signed_at + timedelta(seconds=self.expires_in)

    def valid_at(self, moment: datetime) -> bool:
        """Google's time rule: usable from X-Goog-Date until X-Goog-Date + X-Goog-Expires."""
        return self.signed_at <= moment < self.expires_at


def parse_signed_url(url: str) -> SignedURL:
    query = urlsplit(url).query
    params = {unquote(k): unquote(v) for k, v in (p.split("=", 1) for p in query.split("&"))}
    signed_at = datetime.strptime(params["X-Goog-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return SignedURL(url, params, signed_at, int(params["X-Goog-Expires"]))


def signature_is_valid(url: str, public_key: rsa.RSAPublicKey) -> bool:
    """Rebuild the V4 string to sign from the URL and check its signature with ``public_key``."""
    parts = urlsplit(url)
    pairs = parts.query.split("&")
    params = {unquote(k): unquote(v) for k, v in (p.split("=", 1) for p in pairs)}
    canonical_query = "&".join(sorted(p for p in pairs if not p.startswith("X-Goog-Signature=")))
    signed_headers = params["X-Goog-SignedHeaders"]
    header_values = {"host": parts.netloc}
    canonical_headers = "".join(f"{name}:{header_values[name]}\n"
                                for name in signed_headers.split(";"))
    canonical_request = "\n".join([
        "GET", parts.path, canonical_query, canonical_headers, signed_headers, "UNSIGNED-PAYLOAD"])
    scope = params["X-Goog-Credential"].split("/", 1)[1]
    string_to_sign = "\n".join([
        params["X-Goog-Algorithm"], params["X-Goog-Date"], scope,
        hashlib.sha256(canonical_request.encode()).hexdigest()])
    try:
        public_key.verify(bytes.fromhex(params["X-Goog-Signature"]), string_to_sign.encode(),
                          padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


class FakeIAMTransport:
    """A google-auth transport standing in for the IAM Credentials API (signBlob) at the edge.

    Records each call and answers like the real API, signing with the account's key.
    """

    @dataclass
    class Response:
        status: int
        data: bytes
        headers: dict

    def __init__(self, key: ServiceAccountKey):
        self.key = key
        self.calls: list[dict] = []

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        self.calls.append({"url": url, "method": method, "headers": dict(headers or {})})
        payload = base64.b64decode(json.loads(body)["payload"])
        signed = base64.b64encode(self.key.sign(payload)).decode()
        data = json.dumps({"keyId": "iam-key", "signedBlob": signed}).encode()
        return self.Response(200, data, {"content-type": "application/json"})
