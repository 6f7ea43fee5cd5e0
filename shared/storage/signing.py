"""Signed URLs for the local storage server: bound to one method, one object and an expiry.

Pure functions; the local gateway verifies what LocalStorage.presign signs.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from shared.domain.signatures import same_signature


def signature(secret: str, method: str, bucket: str, key: str, expires: int, disposition: str = "") -> str:
    message = "\n".join([method.upper(), bucket, key, str(expires), disposition]).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_path(secret: str, method: str, bucket: str, key: str, expires: int, disposition: str = "") -> str:
    sig = signature(secret, method, bucket, key, expires, disposition)
    query = f"method={method.upper()}&expires={expires}&sig={sig}"
    if disposition:
        query += "&disposition=" + quote(disposition, safe="")
    return f"/storage/{bucket}/{quote(key, safe='/')}?{query}"


def verify(
    secret: str, method: str, bucket: str, key: str, expires: int, disposition: str, sig: str, now: float
) -> str | None:
    """None when valid, else the reason (for the 403 body)."""
    expected = signature(secret, method, bucket, key, expires, disposition)
    if not same_signature(expected, sig):
        return "signature does not match"
    if now > expires:
        return "URL expired"
    return None
