"""The one decorator every function handler wears: SCF context, logger context, bad input answered."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.errors import BadInputError, RetryableProcessingError
from shared.functions_support import function_handler
from shared.runtime.scf import ScfContext

pytestmark = pytest.mark.unit

CONTEXT = {"request_id": "req-1", "function_name": "openmps-x", "time_limit_in_ms": 3000}


def test_the_handler_gets_an_scf_context_and_its_result_passes_through() -> None:
    seen: list[Any] = []

    @function_handler
    def main_handler(event: Any, context: ScfContext) -> dict[str, Any]:
        seen.append(context)
        return {"echo": event}

    assert main_handler({"a": 1}, CONTEXT) == {"echo": {"a": 1}}
    assert isinstance(seen[0], ScfContext) and seen[0].aws_request_id == "req-1"
    assert main_handler.__name__ == "main_handler"


def test_bad_input_is_answered_with_the_error_envelope_and_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    @function_handler
    def main_handler(event: Any, context: ScfContext) -> dict[str, Any]:
        raise BadInputError("no such thing", code="InvalidParameter.Thing")

    assert main_handler({}, CONTEXT) == {"error": {"code": "InvalidParameter.Thing", "message": "no such thing"}}
    record = caplog.records[-1]
    assert record.getMessage() == "rejected event" and record.code == "InvalidParameter.Thing"  # type: ignore[attr-defined]


def test_other_errors_propagate_so_the_platform_retries() -> None:
    @function_handler
    def main_handler(event: Any, context: ScfContext) -> dict[str, Any]:
        raise RetryableProcessingError("try again")

    with pytest.raises(RetryableProcessingError):
        main_handler({}, CONTEXT)


@pytest.mark.parametrize("event", [{}, {"task_id": ""}, {"task_id": 7}, ["task_id"], None, {"task_id": "x" * 129}])
def test_the_aggregator_refuses_an_event_without_a_task_id(event: Any) -> None:
    from functions.aggregator.index import main_handler

    reply = main_handler(event, CONTEXT)
    assert reply == {
        "error": {"code": "InvalidParameter.AggregatorEvent", "message": "aggregator events carry a task_id"}
    }
