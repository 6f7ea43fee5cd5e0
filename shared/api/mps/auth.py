"""Who signed an API 3.0 request: TC3 recomputed from the raw body, the signed headers as received
and the credential scope, against the SecretKey the table holds for the SecretId."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from shared.api.mps import tc3
from shared.api.mps.errors import MpsError
from shared.api.mps.request import Api3Request
from shared.domain.accounts import AccessKey

SERVICE = "mps"
MAX_SKEW_SECONDS = 300


def _timestamp(request: Api3Request) -> tuple[int, str]:
    raw = request.header("X-TC-Timestamp")
    if raw is None or raw.strip() == "":
        raise MpsError("MissingParameter", "missing_header", name="X-TC-Timestamp")
    if not raw.strip().isdigit():
        raise MpsError("InvalidParameterValue", "bad_timestamp")
    return int(raw), raw.strip()


def authenticate(request: Api3Request, find_key: Callable[[str], AccessKey | None], now: float) -> AccessKey:
    header = request.header("Authorization")
    if not header:
        raise MpsError("AuthFailure.InvalidAuthorization", "auth_missing")
    if request.header("X-TC-Token"):
        raise MpsError("AuthFailure.TokenFailure", "auth_token")
    try:
        auth = tc3.parse_authorization(header)
    except tc3.MalformedAuthorization as exc:
        raise MpsError("AuthFailure.InvalidAuthorization", "auth_malformed", detail=str(exc)) from None
    timestamp, timestamp_text = _timestamp(request)
    # Whole seconds on both sides, as the SDK sends them: 300 s off is accepted, 301 s is not.
    skew = abs(int(now) - timestamp)
    if skew > MAX_SKEW_SECONDS:
        raise MpsError("AuthFailure.SignatureExpire", "auth_expired", timestamp=timestamp, skew=skew)
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    if (auth.date, auth.service, auth.terminator) != (date, SERVICE, "tc3_request"):
        raise MpsError(
            "AuthFailure.SignatureFailure",
            "auth_scope",
            scope=auth.scope,
            detail=f"expected {date}/{SERVICE}/tc3_request for X-TC-Timestamp {timestamp}",
        )
    key = find_key(auth.secret_id)
    if key is None or not key.enabled:
        raise MpsError("AuthFailure.SecretIdNotFound", "auth_secret_id", secret_id=auth.secret_id)
    unsigned = (request.header("X-TC-Content-SHA256") or "") == tc3.UNSIGNED_PAYLOAD
    canonical = tc3.canonical_request(
        request.method,
        request.query,
        request.headers,
        auth.signed_headers,
        tc3.payload_hash(request.body, unsigned),
    )
    expected = tc3.signature(
        key.secret_key, auth.date, auth.service, tc3.string_to_sign(timestamp_text, auth.scope, canonical)
    )
    if not tc3.signatures_match(expected, auth.signature):
        raise MpsError("AuthFailure.SignatureFailure", "auth_signature")
    return key
