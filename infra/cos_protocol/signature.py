"""COS's own request signature (cloud.tencent.com/document/product/436/7778), checked the way COS does.

One implementation for the local gateway's COS endpoint and for the test emulator
(infra/cloud/cos_emulator.py): the caller adapts its request to ``SignedRequest`` and passes a
lookup from SecretId to (SecretKey, session token or None).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from infra.cos_protocol.errors import CosError
from shared.domain.signatures import same_signature

# How far in the future a signature may start before the request counts as a skewed clock. The SDK
# starts its signatures 60 s in the past, so an honest clock never comes near this.
MAX_CLOCK_SKEW_SECONDS = 900
AUTH_QUERY_KEYS = frozenset(
    {
        "q-sign-algorithm",
        "q-ak",
        "q-sign-time",
        "q-key-time",
        "q-header-list",
        "q-url-param-list",
        "q-signature",
        "x-cos-security-token",
    }
)
SecretLookup = Callable[[str], "tuple[str, str | None] | None"]


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str  # decoded, as the client signed it: "/" + object key
    query: list[tuple[str, str]]  # decoded pairs, in order, blanks kept
    header: Callable[[str], str | None]  # lower-case name -> value as received


def encode(value: str) -> str:
    return quote(value.encode(), safe="-_.~")


def cos_signature(
    secret_key: str, key_time: str, method: str, path: str, params: dict[str, str], headers: dict[str, str]
) -> str:
    """params and headers are lower-cased names mapped to raw values."""

    def joined(items: dict[str, str]) -> str:
        pairs = sorted((encode(k).lower(), encode(v)) for k, v in items.items())
        return "&".join(f"{k}={v}" for k, v in pairs)

    http_string = f"{method.lower()}\n{path}\n{joined(params)}\n{joined(headers)}\n"
    string_to_sign = f"sha1\n{key_time}\n{hashlib.sha1(http_string.encode()).hexdigest()}\n"
    sign_key = hmac.new(secret_key.encode(), key_time.encode(), hashlib.sha1).hexdigest()
    return hmac.new(sign_key.encode(), string_to_sign.encode(), hashlib.sha1).hexdigest()


def _auth_fields(request: SignedRequest) -> dict[str, str]:
    header = request.header("authorization") or ""
    if header.startswith("q-sign-algorithm="):
        return dict(parse_qsl(header, keep_blank_values=True))
    if any(k == "q-sign-algorithm" for k, _ in request.query):
        return {k: v for k, v in request.query if k.startswith("q-")}
    raise CosError("AccessDenied", "Access Denied. (anonymous request on a private bucket)")


def verify(request: SignedRequest, lookup: SecretLookup, now: float) -> str:
    """The SecretId that signed the request; raises CosError with COS's code when it is not valid."""
    auth = _auth_fields(request)
    if auth.get("q-sign-algorithm") != "sha1":
        raise CosError("InvalidArgument", "unsupported q-sign-algorithm")
    secret_id = auth.get("q-ak", "")
    found = lookup(secret_id) if secret_id else None
    if found is None:
        raise CosError("InvalidAccessKeyId", "The access key Id format you provided is invalid.")
    secret_key, token = found
    try:
        start, end = (int(t) for t in auth.get("q-sign-time", "").split(";"))
    except ValueError:
        raise CosError("AccessDenied", "bad q-sign-time") from None
    if start > now + MAX_CLOCK_SKEW_SECONDS:
        raise CosError(
            "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large."
        )
    if not start <= now <= end:
        raise CosError("AccessDenied", "Request has expired")
    if token is not None:
        sent = request.header("x-cos-security-token") or dict(request.query).get("x-cos-security-token")
        if sent != token:
            raise CosError("InvalidAccessKeyId", "the security token is missing or wrong")
    params: dict[str, str] = {}
    for name in filter(None, auth.get("q-url-param-list", "").split(";")):
        values = [v for k, v in request.query if encode(k).lower() == name]
        if not values:
            raise CosError("SignatureDoesNotMatch", f"signed parameter {name} is missing")
        params[name] = values[0]
    headers: dict[str, str] = {}
    for name in filter(None, auth.get("q-header-list", "").split(";")):
        value = request.header(name)
        if value is None:
            raise CosError("SignatureDoesNotMatch", f"signed header {name} is missing")
        headers[name] = value
    expected = cos_signature(secret_key, auth.get("q-key-time", ""), request.method, request.path, params, headers)
    if not same_signature(expected, auth.get("q-signature", "")):
        raise CosError(
            "SignatureDoesNotMatch",
            "The calculated signature does not match the provided one. "
            "Check your Secret Access Key and signing method.",
        )
    return secret_id
