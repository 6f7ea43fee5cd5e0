"""ScrollTokens: the store's opaque page cursor, sealed to the account and filter it was made for.

A token from another account or another filter would let a query start from a key outside its
range (the table answers that with an error, not an empty page), so it is refused up front.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping

from shared.api.mps.errors import MpsError


def _mac(secret: str, scope: Mapping[str, object], cursor: str) -> str:
    material = json.dumps(scope, sort_keys=True, separators=(",", ":")) + "\x1f" + cursor
    return hmac.new(secret.encode(), material.encode(), hashlib.sha256).hexdigest()[:32]


def seal(secret: str, scope: Mapping[str, object], cursor: str | None) -> str:
    if not cursor:
        return ""
    body = base64.urlsafe_b64encode(cursor.encode()).decode().rstrip("=")
    return f"{body}.{_mac(secret, scope, cursor)}"


def open_token(secret: str, scope: Mapping[str, object], token: str | None) -> str | None:
    if not token:
        return None
    body, _, mac = token.partition(".")
    try:
        cursor = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, ValueError):
        raise MpsError("InvalidParameterValue", "bad_scroll_token") from None
    if not hmac.compare_digest(mac.encode(), _mac(secret, scope, cursor).encode()):
        raise MpsError("InvalidParameterValue", "bad_scroll_token")
    return cursor
