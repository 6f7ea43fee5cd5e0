"""TC3-HMAC-SHA256, recomputed on the server (MPS-REFERENCE.md 1.3; the SDK's abstract_client.py and
sign.py are the source of truth). Pure: no clock, no table."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

ALGORITHM = "TC3-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_AUTHORIZATION_RE = re.compile(
    r"^TC3-HMAC-SHA256\s+Credential=(?P<secret_id>[^/,\s]+)/(?P<date>[^/,\s]+)/(?P<service>[^/,\s]+)/"
    r"(?P<terminator>[^/,\s]+)\s*,\s*SignedHeaders=(?P<signed>[a-z0-9;-]+)\s*,\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


class MalformedAuthorization(ValueError):
    pass


@dataclass(frozen=True)
class Authorization:
    secret_id: str
    date: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.service}/{self.terminator}"


def parse_authorization(header: str) -> Authorization:
    if not header.startswith(ALGORITHM):
        raise MalformedAuthorization(f"the algorithm must be {ALGORITHM}")
    match = _AUTHORIZATION_RE.match(header.strip())
    if not match:
        raise MalformedAuthorization(
            "expected 'TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request, "
            "SignedHeaders=<headers>, Signature=<64 hex>'"
        )
    signed = tuple(match["signed"].split(";"))
    if "host" not in signed or "content-type" not in signed:
        raise MalformedAuthorization("SignedHeaders must include content-type and host")
    return Authorization(
        match["secret_id"], match["date"], match["service"], match["terminator"], signed, match["signature"]
    )


def canonical_request(
    method: str, query: str, headers: Mapping[str, str], signed_headers: tuple[str, ...], payload_hash: str
) -> str:
    """``headers`` keyed by lower-case name, values as received (the SDK signs them unchanged)."""
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers)
    return "\n".join([method, "/", query, canonical_headers, ";".join(signed_headers), payload_hash])


def payload_hash(body: bytes, unsigned: bool) -> str:
    return hashlib.sha256(UNSIGNED_PAYLOAD.encode() if unsigned else body).hexdigest()


def string_to_sign(timestamp: str, scope: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])


def signature(secret_key: str, date: str, service: str, to_sign: str) -> str:
    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing_key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()


def signatures_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())
