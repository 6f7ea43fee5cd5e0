"""The webhook sender port: one HTTP POST of an event to a receiver, and what came of it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SendOutcome:
    status: int | None  # the receiver's HTTP status; None when no answer came
    error: str | None  # why there was no answer (timeout, refused, policy), else None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender(ABC):
    @abstractmethod
    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> SendOutcome:
        """POST once, never following a redirect; never raises for a receiver's fault."""
