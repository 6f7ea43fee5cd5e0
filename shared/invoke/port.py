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
