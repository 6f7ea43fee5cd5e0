"""The API 3.0 response: HTTP 200, ``{"Response": {..., "RequestId"}}`` (503 only for ``unavailable``).

The Content-Type is exactly ``application/json``: the SDK reads the error envelope only then (with a
charset it silently hands the caller an empty model; MPS-REFERENCE.md 1.4).
"""

from __future__ import annotations

import json
from typing import Any

CONTENT_TYPE = "application/json"


def _response(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "isBase64Encoded": False,
        "statusCode": 200,
        "headers": {"Content-Type": CONTENT_TYPE},
        "body": json.dumps({"Response": payload}, ensure_ascii=False),
    }


def success(fields: dict[str, Any], request_id: str) -> dict[str, Any]:
    return _response({**fields, "RequestId": request_id})


def failure(code: str, message: str, request_id: str) -> dict[str, Any]:
    return _response({"Error": {"Code": code, "Message": message}, "RequestId": request_id})


def unavailable(message: str, request_id: str, retry_after: int) -> dict[str, Any]:
    """``ServiceUnavailable`` (API 3.0's common code), sent as HTTP 503 with Retry-After.

    The SDK turns any non-200 answer into ``ServerNetworkError``, which its ``StandardRetryer``
    retries; at HTTP 200 the code would reach the caller as final. The body is the envelope all the
    same, for a client that reads it."""
    answer = failure("ServiceUnavailable", message, request_id)
    answer["statusCode"] = 503
    answer["headers"] = {**answer["headers"], "Retry-After": str(retry_after)}
    return answer
