"""What the REST API refuses before routing: bodies the JSON parser or the models would choke on.

powertools parses the body with ``json.loads`` inside the resolver, where a body nested 10,000 deep
(RecursionError), a 5000-digit number (ValueError past Python's int-string limit) or bytes that are
not UTF-8 became 500s. Here each gets a 4xx with a code; anything this lets through parses safely.
A body that simply is not JSON passes on to the resolver's own 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from shared.domain.errors import error_envelope

MAX_DEPTH = 32  # the deepest request model (a workflow's subtasks' parameters) needs 5
MAX_NUMBER_DIGITS = 64
JSON_TYPES = ("application/json",)


class _TooLong(ValueError):
    pass


def _number(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _TooLong(text)
    return int(text)


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest, walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def _refused(status: int, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "isBase64Encoded": False,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(error_envelope(code, message, {})),
    }


def _content_type(headers: Mapping[str, str] | None) -> str:
    value = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "") or ""
    return value.split(";")[0].strip().lower()


def refuse_bad_path(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """404 for a path with control characters: no resource has one, and powertools' ``$`` would
    let ``/api/v1/tasks\\n`` reach the task list."""
    path = str(event.get("path") or "")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return _refused(404, "ResourceNotFound.Route", "no route for a path with control characters")
    return None


def refuse_bad_body(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The 4xx response for a body the API cannot take, or None to route the request."""
    body = event.get("body") or ""
    if not body:
        return None
    content_type = _content_type(event.get("headers"))
    if content_type and content_type not in JSON_TYPES and not content_type.endswith("+json"):
        return _refused(415, "InvalidParameter.ContentType", f"send the body as application/json, not {content_type}")
    try:
        raw = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else None
        text = raw.decode("utf-8") if raw is not None else str(body)
    except (binascii.Error, UnicodeDecodeError):
        return _refused(400, "InvalidParameter.Encoding", "the body must be JSON in UTF-8")
    try:
        value = json.loads(text, parse_int=_number)
    except RecursionError:
        return _refused(400, "InvalidParameter.TooDeep", f"the body nests deeper than {MAX_DEPTH} levels")
    except _TooLong:
        return _refused(400, "InvalidParameter.NumberTooLong", f"numbers have at most {MAX_NUMBER_DIGITS} digits")
    except ValueError:
        return None  # not JSON: the resolver answers its own 400
    if _depth(value) > MAX_DEPTH:
        return _refused(400, "InvalidParameter.TooDeep", f"the body nests deeper than {MAX_DEPTH} levels")
    return None
