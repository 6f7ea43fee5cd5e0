"""One API 3.0 request, from the gateway event to the integration response.

Order of checks: size, signature (nothing about the service is told to an unauthenticated caller),
version, action, then the action's own fields. Every outcome is HTTP 200 with the envelope, but
one: a table that does not answer is HTTP 503 (envelope.unavailable says why).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from shared.api.mps import envelope
from shared.api.mps.actions import ACTIONS
from shared.api.mps.auth import authenticate
from shared.api.mps.context import ActionContext
from shared.api.mps.errors import UNAVAILABLE, MpsError, error_of
from shared.api.mps.known_actions import MPS_ACTIONS
from shared.api.mps.params import Params
from shared.api.mps.request import Api3Request, from_event
from shared.runtime.observability import logger
from shared.services.deps import Deps
from shared.store.unavailable import RETRY_AFTER_SECONDS

VERSION = "2019-06-12"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API 3.0's limit for a TC3 POST


def too_large(size: int) -> MpsError:
    return MpsError("RequestSizeLimitExceeded", "too_large", size=size, limit=MAX_BODY_BYTES)


def _body(request: Api3Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError) as exc:  # RecursionError: nested thousands deep
        raise MpsError("InvalidParameter", "bad_json", detail=str(exc)[:200]) from None
    if not isinstance(body, dict):
        raise MpsError("InvalidParameter", "bad_json", detail="expected an object")
    return body


def _answer(request: Api3Request, deps: Deps, now: float) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise too_large(len(request.body))
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if request.method != "POST" or content_type != "application/json":
        raise MpsError("UnsupportedProtocol", "bad_method")
    key = authenticate(request, deps.accounts.find_key, now)
    version = request.header("X-TC-Version")
    if not version:
        raise MpsError("MissingParameter", "missing_header", name="X-TC-Version")
    if version != VERSION:
        raise MpsError("NoSuchVersion", "bad_version", version=version)
    action_name = request.action
    if not action_name:
        raise MpsError("MissingParameter", "missing_header", name="X-TC-Action")
    action = ACTIONS.get(action_name)
    if action is None:
        if action_name in MPS_ACTIONS:
            raise MpsError("UnsupportedOperation", "unsupported_action", action=action_name)
        raise MpsError("InvalidAction", "bad_action", action=action_name)
    ctx = ActionContext(deps, key, request.request_id, request.language, request.header("X-TC-Region") or "")
    return action(ctx, Params(_body(request)))


def handle(event: dict[str, Any], deps: Deps, now: float | None = None) -> dict[str, Any]:
    request = from_event(event, str(uuid.uuid4()))
    try:
        fields = _answer(request, deps, time.time() if now is None else now)
    except Exception as exc:
        code, message = error_of(exc, request.language, request.request_id)
        logger.info("api3 error", extra={"action": request.action, "code": code, "request_id": request.request_id})
        if code == UNAVAILABLE:
            return envelope.unavailable(message, request.request_id, RETRY_AFTER_SECONDS)
        return envelope.failure(code, message, request.request_id)
    logger.info("api3", extra={"action": request.action, "request_id": request.request_id})
    return envelope.success(fields, request.request_id)
