"""The outcome rules (shared/services/outcome.py) that a lone run, a fused member and a split join
share: what each ending writes under the run's claim, against real dynalite."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from shared.domain import clock, media_errors
from shared.domain.errors import BadInputError, PermanentProcessingError, RetriesExhaustedError
from shared.domain.status import SubtaskStatus
from shared.runtime.settings import Settings
from shared.services import outcome
from shared.services.heartbeat import ClaimLostError
from shared.services.outcome import MAX_TRIES, exhausted_error, given_back_error, record_outcome
from tests.conftest import own_settings
from tests.integration.test_races import make_task

pytestmark = pytest.mark.integration

OUTPUTS = [{"bucket": "b", "key": "output/x/a.jpg", "size": 3}]


@pytest.fixture(scope="module")
def settings(dynalite_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Tables of this module's own: it leaves claimed subtasks that no worker will finish, which a
    reconciler pass of another test would otherwise find in its table."""
    return own_settings(dynalite_endpoint, tmp_path_factory, "outcome")


def _claimed(deps, account):
    """A running subtask as its run read it before claiming, and the run's token."""
    task = make_task(deps, account, 1)
    sub = deps.tasks.get_subtask(task.task_id, 1)
    token = uuid.uuid4().hex
    assert deps.tasks.claim_task(task.task_id, account, 0, clock.now_iso())
    assert deps.tasks.claim_subtask(task.task_id, 1, 0, token, clock.now_iso())
    return sub, token


def test_published_outputs_are_a_success(deps, account):
    # GIVEN a claimed subtask WHEN its run published outputs
    sub, token = _claimed(deps, account)
    recorded = record_outcome(deps, sub, token, (OUTPUTS, "log", {"n": 1}))
    # THEN SUCCESS is recorded with them
    assert (recorded.status, recorded.recorded, recorded.exhausted) == ("SUCCESS", True, False)
    stored = deps.tasks.get_subtask(sub.task_id, 1)
    assert stored.status == SubtaskStatus.SUCCESS and stored.progress == 100
    assert stored.outputs == OUTPUTS and stored.result == {"n": 1}


@pytest.mark.parametrize(
    ("fault", "failing", "code", "message"),
    [
        (PermanentProcessingError("no video", code="InvalidMedia.NoVideo"), "", "InvalidMedia.NoVideo", "no video"),
        (BadInputError("bad preset", code="InvalidParameterValue.X"), "", "InvalidParameterValue.X", "bad preset"),
        (
            PermanentProcessingError("part 2 has no output", code=media_errors.INTERNAL),
            "joining the parts",
            media_errors.INTERNAL,
            "joining the parts: part 2 has no output",
        ),
    ],
)
def test_a_permanent_fault_fails_with_its_own_code(deps, account, fault, failing, code, message):
    # GIVEN a claimed subtask WHEN its run met a fault that running again cannot mend
    sub, token = _claimed(deps, account)
    fault.log_tail = "ffmpeg said no"
    recorded = record_outcome(deps, sub, token, fault, failing=failing)
    # THEN FAIL is recorded with its code, message and log, and nothing asks for another run
    assert (recorded.status, recorded.recorded, recorded.exhausted) == ("FAIL", True, False)
    stored = deps.tasks.get_subtask(sub.task_id, 1)
    assert (stored.status, stored.err_code, stored.message) == (SubtaskStatus.FAIL, code, message)
    assert stored.log_tail == "ffmpeg said no"


def test_a_passing_fault_with_runs_left_gives_the_subtask_back(deps, account):
    # GIVEN a subtask on its first run WHEN a passing fault ends it
    sub, token = _claimed(deps, account)
    recorded = record_outcome(deps, sub, token, OSError("I/O error"))
    # THEN it is back in the queue, unclaimed, for the event's next delivery
    assert (recorded.status, recorded.recorded, recorded.exhausted) == ("RELEASED", True, False)
    stored = deps.tasks.get_subtask(sub.task_id, 1)
    assert stored.status == SubtaskStatus.WAITING and stored.claim_token is None
    assert str(given_back_error(sub, "I/O error")).endswith(f"subtask {sub.task_id}/1: I/O error")


def test_a_passing_fault_on_the_last_run_fails_and_is_exhausted(deps, account):
    # GIVEN a subtask on its last run (its runs before this one read before the claim)
    sub, token = _claimed(deps, account)
    last = dataclasses.replace(sub, tries=MAX_TRIES - 1)
    # WHEN a passing fault ends it
    recorded = record_outcome(deps, last, token, OSError("I/O error"))
    # THEN FAIL is recorded as an internal error after every run, and the run must raise for the platform
    assert (recorded.status, recorded.recorded, recorded.exhausted) == ("FAIL", True, True)
    stored = deps.tasks.get_subtask(sub.task_id, 1)
    assert (stored.status, stored.err_code) == (SubtaskStatus.FAIL, media_errors.INTERNAL)
    assert stored.message == f"internal error after {MAX_TRIES} runs: I/O error"
    assert isinstance(exhausted_error(last, "I/O error"), RetriesExhaustedError)


def test_a_lost_claim_writes_nothing(deps, account):
    # GIVEN a claimed subtask WHEN its run found its claim gone
    sub, token = _claimed(deps, account)
    recorded = record_outcome(deps, sub, token, ClaimLostError("gone"))
    # THEN nothing is written: the run that holds the subtask now ends it
    assert (recorded.status, recorded.recorded) == ("LOST", False)
    assert deps.tasks.get_subtask(sub.task_id, 1).status == SubtaskStatus.PROCESSING


@pytest.mark.parametrize(
    "ending", [(OUTPUTS, "", None), PermanentProcessingError("x", code="InvalidMedia"), OSError("I/O error")]
)
def test_a_run_that_no_longer_holds_the_claim_records_nothing(deps, account, monkeypatch, ending):
    # GIVEN a subtask on its last run whose claim another run holds now
    monkeypatch.setattr(outcome, "MAX_TRIES", 1)
    sub, _stale = _claimed(deps, account)
    # WHEN the stale run records its ending
    recorded = record_outcome(deps, sub, "not-the-claim", ending)
    # THEN the table keeps the current run's state, and nothing asks the platform to keep the event
    assert not recorded.recorded and not recorded.exhausted
    assert deps.tasks.get_subtask(sub.task_id, 1).status == SubtaskStatus.PROCESSING
