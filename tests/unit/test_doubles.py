"""The test doubles implement their ports, so the tests that use them test something real."""

from __future__ import annotations

import pytest

from shared.invoke.port import Invoker
from tests.doubles import RecordingInvoker

pytestmark = pytest.mark.unit


def test_recording_invoker_is_an_invoker_that_hands_back_what_was_queued() -> None:
    # GIVEN a recording invoker used where the port is expected
    invoker: Invoker = RecordingInvoker()
    assert isinstance(invoker, Invoker)
    # WHEN two functions are invoked
    invoker.invoke_async("transcode", {"task_id": "t", "index": 1, "attempt": 0})
    invoker.invoke_async("aggregator", {"task_id": "t"})
    assert isinstance(invoker, RecordingInvoker)
    # THEN taking one function's events leaves the other's queued
    assert invoker.take("aggregator") == [{"task_id": "t"}]
    assert invoker.calls == [("transcode", {"task_id": "t", "index": 1, "attempt": 0})]
    assert invoker.take() == [{"task_id": "t", "index": 1, "attempt": 0}] and invoker.calls == []
