"""The routes that end in a function: every API request as the SCF API gateway event to the api
function (answered with its integration response, as API Gateway -> SCF in the cloud), and the
runtime's async Invoke endpoint the functions call (guarded by a per-start secret)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from shared.api.mps import envelope as api3_envelope
from shared.api.mps.handler import MAX_BODY_BYTES as API3_MAX_BODY_BYTES
from shared.api.mps.handler import too_large as api3_too_large
from shared.api.mps.messages import language_of
from shared.domain.errors import BadInputError
from shared.domain.signatures import same_signature

if TYPE_CHECKING:
    from infra.local.gateway.server import GatewayHandler

REST_MAX_BODY_BYTES = 6 * 1024 * 1024  # SCF's sync invoke payload limit
ASYNC_MAX_BODY_BYTES = 128 * 1024  # SCF's async payload limit


def api_event(h: GatewayHandler, body: bytes) -> dict[str, Any]:
    """The SCF API gateway event of this request."""
    parts = urlsplit(h.path)
    query: dict[str, Any] = {}
    for key, values in parse_qs(parts.query, keep_blank_values=True).items():
        query[key] = values if len(values) > 1 else values[0]
    text_body: str | None
    try:
        text_body, is_b64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text_body, is_b64 = base64.b64encode(body).decode(), True
    return {
        "requestContext": {
            "serviceId": "service-local",
            "path": "/",
            "httpMethod": h.command,
            "requestId": str(uuid.uuid4()),
            "identity": {},
            "sourceIp": h.client_address[0],
            "stage": "release",
        },
        "headers": {k: v for k, v in h.headers.items()},
        "body": text_body or "",
        "isBase64Encoded": is_b64,
        "pathParameters": {},
        "queryStringParameters": {},
        "headerParameters": {},
        "stageVariables": {"stage": "release"},
        "path": unquote(parts.path) or "/",
        "queryString": query,
        "httpMethod": h.command,
    }


def serve_api(h: GatewayHandler) -> None:
    api3 = h.command == "POST" and urlsplit(h.path).path == "/"
    try:
        # API 3.0 allows a 10 MB POST and says so in its envelope.
        body = h.read_body(API3_MAX_BODY_BYTES if api3 else REST_MAX_BODY_BYTES)
    except BadInputError as exc:
        h.close_connection = True  # the unread body must not be taken for the next request
        if api3:
            h.discard_body(4 * API3_MAX_BODY_BYTES)  # a client still sending would miss the answer
            language = language_of(h.headers.get("X-TC-Language"))
            too_large = api3_too_large(int(h.headers.get("Content-Length") or 0))
            answer = api3_envelope.failure(too_large.code, too_large.message(language), str(uuid.uuid4()))
            h.send(200, answer["body"].encode(), api3_envelope.CONTENT_TYPE)
        else:
            h.send_json_error(413, exc.code, exc.message)
        return
    event = api_event(h, body)
    # Before the request waits for one of the api function's slots: an account's excess must not
    # queue ahead of another account's requests.
    refused = h.owner.rate_gate.refusal(event) if h.owner.rate_gate is not None else None
    if refused is not None:
        send_integration(h, refused)
        return
    try:
        result = h.owner.invoke_sync("api", event)
    except Exception as exc:  # the function crashed or timed out: the gateway answers 502
        h.send_json_error(502, "FunctionError", f"the api function failed: {exc}")
        return
    send_integration(h, result)


def send_integration(h: GatewayHandler, result: Any) -> None:
    """The api function's integration response, as the HTTP answer."""
    if not isinstance(result, dict) or "statusCode" not in result:
        h.send_json_error(502, "FunctionError", "invalid integration response from the api function")
        return
    raw = result.get("body") or ""
    data = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    content_type = headers.pop("Content-Type", headers.pop("content-type", "application/json"))
    headers.pop("Content-Length", None)
    h.send(int(result["statusCode"]), data, content_type, headers)


def serve_invoke(h: GatewayHandler) -> None:
    secret = h.headers.get("X-OpenMPS-Runtime-Secret", "")
    if not same_signature(h.owner.invoke_secret, secret):
        h.send_json_error(403, "AuthFailure", "bad runtime secret")
        return
    function = urlsplit(h.path).path.rsplit("/", 1)[-1]
    try:
        event = json.loads(h.read_body(ASYNC_MAX_BODY_BYTES) or b"{}")
        request_id = h.owner.invoke_async(function, event)
    except KeyError:
        h.send_json_error(404, "ResourceNotFound.Function", f"no function {function!r}")
        return
    except (ValueError, BadInputError) as exc:
        h.send_json_error(400, "InvalidParameter", str(exc))
        return
    h.send(202, json.dumps({"request_id": request_id}).encode())
