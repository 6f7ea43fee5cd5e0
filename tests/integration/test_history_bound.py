"""A task's history stays bounded however often it is restarted (issue 14 §5)."""

from __future__ import annotations

import json

import pytest

from shared.domain.history import KEEP_ATTEMPTS, MAX_HISTORY_BYTES, append_attempt
from shared.domain.status import TaskStatus
from shared.services.operations import reopen, terminate
from shared.store.models import TaskModel
from tests.integration.test_races import make_task

pytestmark = pytest.mark.integration


def test_the_history_keeps_the_last_attempts_within_the_size_cap():
    # GIVEN summaries of 2 KB each
    history: list[dict] = []
    for attempt in range(200):
        history = append_attempt(history, {"attempt": attempt, "pad": "x" * 2000})
    # THEN the newest ones are kept, in order, within both caps
    assert [e["attempt"] for e in history] == list(range(200 - KEEP_ATTEMPTS, 200))
    assert len(json.dumps(history, separators=(",", ":"))) <= MAX_HISTORY_BYTES
    # AND a summary larger than the cap on its own is still kept, alone
    assert append_attempt(history, {"attempt": 200, "pad": "y" * (MAX_HISTORY_BYTES + 1)})[0]["attempt"] == 200


def test_thirty_restarts_of_a_wide_task_keep_the_item_small_and_the_last_attempts(deps, account):
    # GIVEN a task with 28 subtasks
    task = make_task(deps, account, 28)
    # WHEN it is terminated and restarted 30 times
    for _ in range(30):
        terminate(deps, account, task.task_id)
        reopen(deps, account, task.task_id, only_failed=False)
    # THEN its attempt counts every restart, the history holds the last attempts, newest last
    final = deps.tasks.get_task(task.task_id)
    assert final.attempt == 30
    assert [e["attempt"] for e in final.history] == list(range(30 - len(final.history), 30))
    assert 1 <= len(final.history) <= KEEP_ATTEMPTS
    assert len(json.dumps(final.history, separators=(",", ":"))) <= MAX_HISTORY_BYTES + 1024


def test_a_task_whose_history_already_fills_the_item_can_still_be_restarted(deps, account):
    # GIVEN a finished task whose history (an older version's, unbounded) is ~380 KB
    task = make_task(deps, account, 2)
    terminate(deps, account, task.task_id)
    bloated = [{"attempt": -1, "op": "restart", "pad": "x" * 5000} for _ in range(76)]
    TaskModel(task.task_id).update(actions=[TaskModel.history.set(bloated)])
    # WHEN it is restarted
    reopened = reopen(deps, account, task.task_id, only_failed=False)
    # THEN the restart succeeds and the history shrank to fit
    assert reopened.attempt == 1 and reopened.status != TaskStatus.FINISH
    assert len(json.dumps(deps.tasks.get_task(task.task_id).history, separators=(",", ":"))) <= MAX_HISTORY_BYTES
