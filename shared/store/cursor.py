"""Paging cursors: the table's last evaluated key as an opaque URL-safe string, and the one
place a cursor the table refuses becomes the caller's bad input."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pynamodb.exceptions import QueryError

from shared.domain.errors import BadInputError


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadInputError("cursor is not one this API returned", code="InvalidParameterValue.Cursor") from exc
    if not isinstance(value, dict):
        raise BadInputError("cursor is not one this API returned", code="InvalidParameterValue.Cursor")
    return value


def _pages_of_cursor(pages: Any, cursor: str | None) -> Any:
    """The query's pages; a cursor the table refuses (well-formed base64 JSON, but not a key this
    index returned, e.g. ``{"x": 1}``) is the caller's bad input, not a table fault."""
    try:
        yield from pages
    except QueryError as exc:
        if cursor and getattr(exc, "cause_response_code", None) in ("ValidationException", "SerializationException"):
            raise BadInputError("cursor is not one this API returned", code="InvalidParameterValue.Cursor") from exc
        raise
