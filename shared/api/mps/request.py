"""An API 3.0 request as the gateway event carries it: raw body bytes and headers as received."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from shared.api.mps.messages import language_of


@dataclass(frozen=True)
class Api3Request:
    method: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    request_id: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def action(self) -> str | None:
        return self.header("X-TC-Action")

    @property
    def language(self) -> str:
        return language_of(self.header("X-TC-Language"))


def is_api3(event: dict[str, Any]) -> bool:
    """API 3.0 is a POST at the root; everything else is the REST API and the console."""
    method = str(event.get("httpMethod") or (event.get("requestContext") or {}).get("httpMethod") or "").upper()
    return method == "POST" and (event.get("path") or "/") == "/"


def from_event(event: dict[str, Any], request_id: str) -> Api3Request:
    raw = event.get("body") or ""
    if str(event.get("isBase64Encoded", "")).lower() == "true":
        try:
            body = base64.b64decode(raw)
        except (binascii.Error, ValueError):
            body = raw.encode()
    else:
        body = raw.encode() if isinstance(raw, str) else bytes(raw)
    headers: dict[str, str] = {}
    for name, value in (event.get("headers") or {}).items():
        headers.setdefault(str(name).lower(), str(value))
    return Api3Request(
        method=str(event.get("httpMethod") or "POST").upper(),
        query="",
        headers=headers,
        body=body,
        request_id=request_id,
    )
