"""Random interleavings of restart, retry-failed, terminate, worker results and reconciler ticks
from several threads against real dynalite (issue 14 §4): ``attempt`` never decreases, the history
never loses an attempt it kept, and once quiet the counts equal what the subtasks say."""

from __future__ import annotations

import threading
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.domain import clock
from shared.domain.errors import ConflictError, RetryableProcessingError
from shared.domain.status import SubtaskCounts, SubtaskStatus, TaskStatus
from shared.services.aggregate import aggregate_task
from shared.services.operations import finish_reopen, reopen, terminate
from shared.services.reconcile import reconcile
from tests.integration.test_races import make_task

pytestmark = pytest.mark.integration

OPS = ("restart", "retry_failed", "terminate", "succeed", "fail", "reconcile", "aggregate")


def _work(deps, account, task_id, status):
    """One worker run on any queued subtask of the current attempt, as the worker service does it."""
    task = deps.tasks.get_task(task_id)
    for sub in deps.tasks.get_subtasks(task_id):
        if sub.status != SubtaskStatus.WAITING or sub.attempt != task.attempt:
            continue
        token = uuid.uuid4().hex
        if not deps.tasks.claim_task(task_id, account, sub.attempt, clock.now_iso()):
            return
        if deps.tasks.claim_subtask(task_id, sub.index, sub.attempt, token, clock.now_iso()):
            deps.tasks.finish_subtask(task_id, sub.index, token, status=status, now=clock.now_iso(), err_code=None)
            aggregate_task(deps.tasks, task_id)
        return


def _run(deps, account, task_id, op):
    try:
        if op in ("restart", "retry_failed"):
            reopen(deps, account, task_id, only_failed=op == "retry_failed")
        elif op == "terminate":
            terminate(deps, account, task_id)
        elif op in ("succeed", "fail"):
            _work(deps, account, task_id, SubtaskStatus.SUCCESS if op == "succeed" else SubtaskStatus.FAIL)
        elif op == "reconcile":
            reconcile(deps, reaggregate_after=0, stale_after=3600, reinvoke_after=3600)
        else:
            aggregate_task(deps.tasks, task_id)
    except (ConflictError, RetryableProcessingError):
        pass  # a lost race answers 409 / is retried: both are allowed outcomes


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.lists(st.sampled_from(OPS), min_size=3, max_size=10), min_size=3, max_size=4))
def test_no_interleaving_makes_a_task_go_backwards(deps, account, plans):
    # GIVEN a task with 3 subtasks, finished once (so restarts can begin at once)
    task = make_task(deps, account, 3)
    for _ in range(3):
        _work(deps, account, task.task_id, SubtaskStatus.FAIL)
    seen: list[tuple[int, list[int]]] = []
    stop = threading.Event()

    def observe():
        while not stop.is_set():
            t = deps.tasks.get_task(task.task_id)
            seen.append((t.attempt, [e["attempt"] for e in t.history]))

    # WHEN several threads run their plans at once, while another one keeps reading the task
    observer = threading.Thread(target=observe)
    observer.start()
    threads = [
        threading.Thread(target=lambda plan=plan: [_run(deps, account, task.task_id, op) for op in plan])
        for plan in plans
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    observer.join()
    # THEN no read ever saw the attempt go down, or a kept history entry vanish before the cap
    for (a1, h1), (a2, h2) in zip(seen, seen[1:], strict=False):
        assert a2 >= a1, f"attempt went from {a1} to {a2}"
        assert h2[: len(h1)] == h1 or len(h2) == 20, f"history went from {h1} to {h2}"
    # AND once quiet (a reconciler pass completes any half-done restart) the task agrees with its subtasks
    final = deps.tasks.get_task(task.task_id)
    finish_reopen(deps, final)
    final = deps.tasks.get_task(task.task_id)
    subs = deps.tasks.get_subtasks(task.task_id)
    assert all(s.attempt == final.attempt for s in subs)
    assert final.counts == SubtaskCounts.of(s.status for s in subs)
    assert [e["attempt"] for e in final.history] == list(range(final.attempt - len(final.history), final.attempt))
    if final.status == TaskStatus.FINISH and final.err_code is None:
        assert final.counts.waiting == final.counts.processing == 0
