"""Test doubles of the ports, importing only the ports they implement (tests/unit/test_doubles.py
checks them against the port, so they cannot rot)."""

from __future__ import annotations

from typing import Any

from shared.invoke.port import Invoker


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
