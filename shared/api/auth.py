"""Bearer-token authentication: every route but the public ones needs a known token.

It runs before routing, so a request without a valid token gets 401 whatever else is wrong
with it (powertools validates bodies before any middleware would run).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shared.domain.errors import error_envelope
from shared.store.accounts import AccountStore

# The console's page and assets load before sign-in; signed playlists carry their own signature
# (players cannot send the token).
PUBLIC_PREFIXES = ("/healthz", "/swagger", "/console", "/api/v1/play")


def is_public(path: str) -> bool:
    return path == "/" or any(path == p or path.startswith(p + "/") for p in PUBLIC_PREFIXES)


def _denied(code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": 401,
        "isBase64Encoded": False,
        "headers": {"Content-Type": "application/json", "WWW-Authenticate": "Bearer"},
        "body": json.dumps(error_envelope(code, message)),
    }


def authenticate(path: str, headers: Mapping[str, str] | None, accounts: AccountStore) -> str | dict[str, Any] | None:
    """The caller's account; None for a public path; or the 401 response to send."""
    if is_public(path):
        return None
    header = next((v for k, v in (headers or {}).items() if k.lower() == "authorization"), "") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _denied("AuthFailure.MissingToken", "send 'Authorization: Bearer <token>'")
    account = accounts.account_for(token.strip())
    if account is None:
        return _denied("AuthFailure.InvalidToken", "the token is not valid")
    return account
