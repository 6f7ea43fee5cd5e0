"""SCF adapters: the API gateway event and the function context, in the shapes powertools reads.

SCF's API gateway event (MPS-REFERENCE.md 4.3) is close to AWS API Gateway REST (v1) but not
equal: all query parameters arrive in ``queryString`` (a repeated key may be a list, a bare key
``true``); ``queryStringParameters`` holds only declared ones. The response must be the
integration-response shape with single-valued ``headers``.
"""

from __future__ import annotations

import time
from typing import Any

# SCF runs a failed async (Event) invocation twice more ("Error Types and Retry Policies"), then
# hands it to the function's dead letter queue, if it has one. The workers count their runs of a
# subtask against the same number (shared/services/worker.py), and the local runtime retries as
# often (infra/local/runtime.py), so the two never multiply.
ASYNC_RETRIES = 2


def _truthy(value: Any) -> bool:
    """SCF fields documented as booleans sometimes arrive as strings ("true"/"false")."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def event_kind(event: Any) -> str:
    """Which SCF trigger produced ``event``: "cos", "apigw", "timer" or "invoke" (anything else:
    an async Invoke's ClientContext, e.g. a worker or aggregator event)."""
    if isinstance(event, dict):
        records = event.get("Records")
        if isinstance(records, list) and records and isinstance(records[0], dict) and "cos" in records[0]:
            return "cos"
        if "httpMethod" in event and ("requestContext" in event or "path" in event):
            return "apigw"
        if str(event.get("Type", "")).lower() == "timer" and "TriggerName" in event:
            return "timer"
    return "invoke"


def apigw_to_rest_event(event: dict[str, Any]) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for source in (event.get("queryStringParameters"), event.get("queryString")):
        for key, value in (source or {}).items():
            query[key] = value
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in query.items():
        values = value if isinstance(value, list) else [value]
        values = ["" if v is True else str(v) for v in values]
        single[key], multi[key] = values[-1], values
    headers = {str(k): str(v) for k, v in (event.get("headers") or {}).items()}
    ctx = event.get("requestContext") or {}
    return {
        "resource": ctx.get("path") or event.get("path") or "/",
        "path": event.get("path") or "/",
        "httpMethod": (event.get("httpMethod") or ctx.get("httpMethod") or "GET").upper(),
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": single or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": event.get("pathParameters") or None,
        "stageVariables": event.get("stageVariables") or None,
        "requestContext": {
            "requestId": ctx.get("requestId", ""),
            "stage": ctx.get("stage", "release"),
            "httpMethod": (event.get("httpMethod") or "GET").upper(),
            "path": event.get("path") or "/",
            "identity": {"sourceIp": ctx.get("sourceIp", "")},
            "resourcePath": ctx.get("path", "/"),
        },
        "body": event.get("body") or None,
        "isBase64Encoded": _truthy(event.get("isBase64Encoded", False)),
    }


def rest_to_integration_response(response: dict[str, Any]) -> dict[str, Any]:
    headers: dict[str, str] = dict(response.get("headers") or {})
    for key, values in (response.get("multiValueHeaders") or {}).items():
        if values:
            headers[key] = ", ".join(str(v) for v in values)
    return {
        "isBase64Encoded": bool(response.get("isBase64Encoded", False)),
        "statusCode": int(response.get("statusCode", 200)),
        "headers": headers,
        "body": response.get("body") or "",
    }


class ScfContext:
    """A Lambda-like view of an SCF context (dict or object), for powertools' Logger."""

    def __init__(self, context: Any) -> None:
        def read(name: str, default: Any = None) -> Any:
            if isinstance(context, dict):
                return context.get(name, default)
            return getattr(context, name, default)

        self.function_name = read("function_name", "openmps")
        self.namespace = read("namespace", "default") or "default"
        self.region = read("tencentcloud_region", "") or ""
        self.appid = str(read("tencentcloud_appid", "") or "")
        self.uin = str(read("tencentcloud_uin", "") or "")
        self.function_version = read("function_version", "$LATEST")
        self.memory_limit_in_mb = int(read("memory_limit_in_mb", 128) or 128)
        self.aws_request_id = read("request_id", "") or ""
        self.request_id = self.aws_request_id
        self.invoked_function_arn = (
            f"qcs::scf:{read('tencentcloud_region', '')}:"
            f"uin/{read('tencentcloud_uin', '')}:"
            f"namespace/{read('namespace', 'default')}/function/{self.function_name}"
        )
        self.time_limit_in_ms = int(read("time_limit_in_ms", 3000) or 3000)
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        self._remaining = remaining if callable(remaining) else None
        self._deadline = time.monotonic() + self.time_limit_in_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        if self._remaining is not None:
            return int(self._remaining())
        return max(0, int((self._deadline - time.monotonic()) * 1000))
