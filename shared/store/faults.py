"""Table faults on purpose: a hook on the table client that makes it see what a DynamoDB-compatible
service shows under load or trouble, so a test (or a chaos run of the local stack) can prove the
services survive it. Off unless ``OPENMPS_TABLE_FAULTS`` (settings.table_faults) names rates, e.g.
``throttle=0.03,server_error=0.02,reset=0.02,lost_ack=0.04,seed=7``:

- ``throttle``: a request is answered 400 ProvisionedThroughputExceededException, unsent;
- ``server_error``: a request is answered 500 InternalServerError, unsent;
- ``reset``: the connection closes before an answer, the request unsent;
- ``lost_ack``: a conditional write is applied, and the client is told ConditionalCheckFailed:
  what a write sees whose first answer was lost and whose retry then found its own change.

The first three are drawn for every HTTP attempt, so botocore's retry policy (the one the
production client uses) meets them as it would meet the real thing; ``lost_ack`` is drawn once per
call, since no retry follows a failed condition. The hook sits on botocore's event system of each
model's client (``before-send``, ``after-call``): nothing in the services knows it is there.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError

KINDS = ("throttle", "server_error", "reset", "lost_ack")
CONDITIONAL_WRITES = ("PutItem", "UpdateItem", "DeleteItem")
_HOOK_ID = "openmps-table-faults"


class _Body:
    """What botocore reads a response body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _error_response(url: str, status: int, error_type: str, message: str) -> AWSResponse:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{error_type}", "message": message})
    headers = {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "openmps-injected-fault"}
    return AWSResponse(url, status, headers, _Body(body.encode()))


class TableFaults:
    """The rates, a seeded random source, and counts of what happened (for the test's figures)."""

    def __init__(self, rates: dict[str, float], seed: int | None = None) -> None:
        unknown = set(rates) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown table fault kinds: {sorted(unknown)} (known: {', '.join(KINDS)})")
        if any(not 0 <= r < 1 for r in rates.values()):
            raise ValueError("table fault rates are fractions in [0, 1)")
        self.rates = {k: float(rates.get(k, 0.0)) for k in KINDS}
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        # calls, attempts, each injected kind, conditions_failed (real ones), failed_calls (errors
        # the caller saw after botocore's retries), real_transients (attempts the table itself
        # failed: a loaded table server resets or times out too, and botocore retries those as well)
        self.counts: Counter[str] = Counter()
        self._attempt = threading.local()  # whether this thread's attempt in flight was injected

    @classmethod
    def parse(cls, spec: str) -> TableFaults:
        """``kind=rate,...[,seed=N]``; a malformed spec is a start-up error, not a silent no-op."""
        rates: dict[str, float] = {}
        seed: int | None = None
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"table faults: {part!r} is not kind=rate")
            if name.strip() == "seed":
                seed = int(value)
            else:
                rates[name.strip()] = float(value)
        return cls(rates, seed)

    @property
    def retries(self) -> int:
        """HTTP attempts beyond the first of each call: what botocore's retry policy spent."""
        return self.counts["attempts"] - self.counts["calls"]

    def _draw(self, kinds: Iterable[str]) -> str | None:
        with self._lock:
            roll = self._random.random()
            for kind in kinds:
                roll -= self.rates[kind]
                if roll < 0:
                    self.counts[kind] += 1
                    return kind
        return None

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    # ---- botocore event handlers ---------------------------------------------------------
    def before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self._count("calls")
        body = params.get("body") or b""
        conditional = b"ConditionExpression" in (body if isinstance(body, bytes) else str(body).encode())
        if model.name in CONDITIONAL_WRITES and conditional and self._draw(["lost_ack"]):
            context[_HOOK_ID] = "lost_ack"

    def before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        self._count("attempts")
        kind = self._draw(["throttle", "server_error", "reset"])
        self._attempt.injected = kind is not None
        if kind == "throttle":
            return _error_response(request.url, 400, "ProvisionedThroughputExceededException", "injected throttling")
        if kind == "server_error":
            return _error_response(request.url, 500, "InternalServerError", "injected server error")
        if kind == "reset":
            raise ConnectionClosedError(endpoint_url=request.url)
        return None

    def response_received(self, response_dict: dict[str, Any] | None, exception: Exception | None, **_: Any) -> None:
        if getattr(self._attempt, "injected", False):
            return
        status = (response_dict or {}).get("status_code", 0)
        if exception is not None or status >= 500:
            self._count("real_transients")

    def after_call(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code >= 300:
            lost_race = parsed.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
            # After botocore's retries the caller sees this error: a real lost condition, or a fault.
            self._count("conditions_failed" if lost_race else "failed_calls")
        elif context.get(_HOOK_ID) == "lost_ack":
            # The write is in the table; the answer says it was refused.
            http_response.status_code = 400
            parsed.clear()
            parsed["Error"] = {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
            parsed["ResponseMetadata"] = {"HTTPStatusCode": 400}

    def after_call_error(self, **_: Any) -> None:
        self._count("failed_calls")  # a connection error that outlived the retries

    def install(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-call.dynamodb.*", self.before_call, unique_id=_HOOK_ID + "-call")
        events.register("before-send.dynamodb.*", self.before_send, unique_id=_HOOK_ID + "-send")
        events.register("response-received.dynamodb.*", self.response_received, unique_id=_HOOK_ID + "-response")
        events.register("after-call.dynamodb.*", self.after_call, unique_id=_HOOK_ID + "-after")
        events.register("after-call-error.dynamodb.*", self.after_call_error, unique_id=_HOOK_ID + "-error")


_active: TableFaults | None = None


def active_faults() -> TableFaults | None:
    """The faults installed by the last binding of the models (None: the table is left alone)."""
    return _active


def install_table_faults(models: Iterable[Any], spec: str | None) -> TableFaults | None:
    """Hook ``spec``'s faults into the client of each pynamodb model (or none, when spec is empty)."""
    global _active
    _active = TableFaults.parse(spec) if spec else None
    if _active is not None:
        for model in models:
            _active.install(model._get_connection().connection.client)
    return _active
