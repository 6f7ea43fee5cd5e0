"""The invoker port: fire-and-forget invocation of another function (SCF InvocationType=Event).

Invocations are hints: they may be lost, duplicated or reordered. The table is the truth and
the reconciler repairs what a lost invocation leaves behind.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from shared.domain.errors import OpenMpsError


class PermanentInvokeError(OpenMpsError):
    """The invocation can never be queued as asked (unknown function, bad parameters, refused
    credentials): retrying the same call fails the same way. Raised by adapters; callers that
    treat invocations as hints may log it and leave the repair to the reconciler."""

    code = "FailedOperation.Invoke"


class Invoker(ABC):
    @abstractmethod
    def invoke_async(self, function: str, event: dict[str, Any]) -> None:
        """Queue one invocation. Raises RetryableProcessingError if it could not be queued this
        time, PermanentInvokeError if it never can be."""


class RecordingInvoker(Invoker):
    """Keeps invocations in a list; tests run them by hand, in any order, any number of times."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke_async(self, function: str, event: dict[str, Any]) -> None:
        self.calls.append((function, event))

    def take(self, function: str | None = None) -> list[dict[str, Any]]:
        taken = [e for f, e in self.calls if function is None or f == function]
        self.calls = [(f, e) for f, e in self.calls if not (function is None or f == function)]
        return taken
