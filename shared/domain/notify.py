"""Event notifications (MPS TaskNotifyConfig, NotifyType URL): what a task subscribes to, which
transitions make an event, how events are identified, signed and retried. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from typing import Any, Literal, cast

from shared.domain.errors import BadInputError

NotifyMode = Literal["finish", "change"]
NOTIFY_MODES: tuple[str, ...] = ("finish", "change")
NOTIFY_KEY_MAX = 256
NOTIFY_URL_MAX = 1024
# MPS: the event carries an expiry ten minutes after it was sent; Sign covers it.
TIMESTAMP_VALID_SECONDS = 600
TRY_TIMEOUT_SECONDS = 5.0
# After the first try: 10 s, 30 s, 2 min, 10 min, 30 min, then hourly, for 24 h (then a dead letter).
RETRY_DELAYS_SECONDS: tuple[float, ...] = (10, 30, 120, 600, 1800, 3600)
GIVE_UP_AFTER_SECONDS = 24 * 3600
JITTER = 0.2

EVENT_ID_HEADER = "X-Openmps-Event-Id"
SIGNATURE_HEADER = "X-Openmps-Signature"

# Event states
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
FINISH_TRANSITION = "FINISH"


@dataclass(frozen=True)
class NotifyConfig:
    url: str
    mode: NotifyMode = "finish"
    key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "mode": self.mode, "key": self.key}

    @classmethod
    def from_dict(cls, data: Any) -> NotifyConfig | None:
        """The stored shape back (None when the task subscribed to nothing)."""
        if not data:
            return None
        mode = data.get("mode") or "finish"
        if mode not in NOTIFY_MODES:
            raise BadInputError(f"notify mode must be one of {NOTIFY_MODES}", code="InvalidParameterValue.NotifyMode")
        return cls(url=str(data["url"]), mode=cast(NotifyMode, mode), key=data.get("key") or None)

    def to_mps(self) -> dict[str, str]:
        """As MPS's TaskNotifyConfig names it (DescribeTaskDetail, DescribeWorkflows)."""
        mode = "Change" if self.mode == "change" else "Finish"
        return {"NotifyType": "URL", "NotifyMode": mode, "NotifyUrl": self.url, "NotifyKey": self.key or ""}

    def public_view(self) -> dict[str, Any]:
        """What the API shows: the key is a shared secret, so only whether one is set."""
        return {"url": self.url, "mode": self.mode, "key_set": bool(self.key)}


def event_id(task_id: str, attempt: int, transition: str) -> str:
    """Deterministic: a repeated aggregation of the same transition records the same event once."""
    digest = hashlib.sha256(f"{task_id}\n{attempt}\n{transition}".encode()).hexdigest()
    return "ev-" + digest[:32]


def subtask_transition(index: int, status: str) -> str:
    return f"subtask-{index}-{status}"


def order_key(attempt: int, occurred_at: str, rank: int) -> str:
    """Sorts a task's events in the order they happened: attempt, time, then rank (a subtask's
    start before its end, the task's FINISH after every subtask's)."""
    return f"{attempt:06d}#{occurred_at}#{rank:06d}"


def next_delay(tries: int, rng: random.Random | None = None, delays: tuple[float, ...] = RETRY_DELAYS_SECONDS) -> float:
    """Seconds until the next try after ``tries`` failed ones, with ±20 % jitter so receivers that
    come back are not hit by every sender at once."""
    base = delays[min(max(tries, 1), len(delays)) - 1]
    return base * (1 + (rng or random).uniform(-JITTER, JITTER))


def permanent_status(status: int) -> bool:
    """A 4xx other than 408 (timeout) and 429 (slow down) will not change by retrying."""
    return 400 <= status < 500 and status not in (408, 429)


def mps_sign(timestamp: int, key: str) -> str:
    """MPS's Sign: hex MD5 of str(Timestamp) + NotifyKey. MD5 because MPS defines it so."""
    return hashlib.md5(f"{timestamp}{key}".encode()).hexdigest()  # noqa: S324 - MPS's algorithm


def body_signature(body: bytes, key: str) -> str:
    """X-Openmps-Signature: HMAC-SHA256 of the exact body bytes, for receivers that want more than Sign."""
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def verify_body_signature(body: bytes, key: str, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(body_signature(body, key), header or "")


def event_body(stored: dict[str, Any], *, now_epoch: int, key: str | None) -> dict[str, Any]:
    """The body of one try: the recorded event with a fresh Timestamp (expiry) and Sign, so a retry
    an hour later is not already expired."""
    timestamp = now_epoch + TIMESTAMP_VALID_SECONDS
    return {**stored, "Timestamp": timestamp, "Sign": mps_sign(timestamp, key) if key else ""}
