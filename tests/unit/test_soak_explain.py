"""The soak's history check (infra/local/soak.py): what a finished task's subtasks and history must explain."""

from __future__ import annotations

import copy

import pytest

from infra.local.soak import explain

pytestmark = pytest.mark.unit


def _task(**changes):
    task = {
        "task_id": "t",
        "status": "FINISH",
        "attempt": 2,
        "subtask_counts": {"waiting": 0, "processing": 0, "success": 1, "fail": 1},
        "has_failed": True,
        "err_code": None,
        "subtasks": [
            {"index": 1, "status": "SUCCESS", "attempt": 2, "err_code": None},
            {"index": 2, "status": "FAIL", "attempt": 2, "err_code": "WorkerLost"},
        ],
        "history": [{"attempt": 0, "status": "FINISH"}, {"attempt": 1, "status": "FINISH"}],
    }
    task.update(copy.deepcopy(changes))
    return task


def test_a_task_its_subtasks_and_history_explain_passes():
    # GIVEN two acknowledged restarts of three asked  WHEN checked  THEN nothing is unexplained
    assert explain(_task(), asked=3, acked=2) == []


@pytest.mark.parametrize(
    ("changes", "asked", "acked", "expected"),
    [
        ({"status": "WAITING"}, 2, 2, "WAITING"),
        ({"subtask_counts": {"success": 2, "fail": 0}}, 2, 2, "counts"),
        ({"has_failed": False}, 2, 2, "has_failed"),
        ({"history": [{"attempt": 1, "status": "FINISH"}]}, 2, 2, ""),  # older entries may be dropped: fine
        ({"history": [{"attempt": 0, "status": "FINISH"}]}, 2, 2, "history attempts"),  # attempt 1 lost
        ({"history": []}, 2, 2, "history attempts"),
        ({"history": [{"attempt": 0, "status": "FINISH"}, {"attempt": 1, "status": "PROCESSING"}]}, 2, 2, "not FINISH"),
        ({}, 1, 1, "reopens"),  # attempt 2 but only one reopen asked: the task went forwards by itself
        ({}, 3, 3, "reopens"),  # three acknowledged, attempt 2: a reopen was lost
        ({"err_code": "Terminated"}, 2, 2, "Cancelled"),
    ],
)
def test_what_the_check_refuses(changes, asked, acked, expected):
    problems = explain(_task(**changes), asked=asked, acked=acked)
    if expected:
        assert any(expected in p for p in problems), problems
    else:
        assert problems == []


def test_a_terminated_task_is_not_counted_as_failed():
    cancelled = [{"index": 1, "status": "FAIL", "attempt": 0, "err_code": "Cancelled"}]
    terminated = _task(
        attempt=0,
        history=[],
        err_code="Terminated",
        has_failed=False,
        subtasks=cancelled,
        subtask_counts={"fail": 1},
    )
    assert explain(terminated, asked=0, acked=0) == []
    assert any("has_failed" in p for p in explain({**terminated, "has_failed": True}, asked=0, acked=0))


def test_a_subtask_left_in_an_older_attempt_or_without_a_code_is_refused():
    subs = [
        {"index": 1, "status": "SUCCESS", "attempt": 1, "err_code": None},
        {"index": 2, "status": "FAIL", "attempt": 2, "err_code": None},
    ]
    problems = explain(_task(subtasks=subs), asked=2, acked=2)
    assert any("attempt 1, the task's is 2" in p for p in problems)
    assert any("FAIL err_code=None" in p for p in problems)
