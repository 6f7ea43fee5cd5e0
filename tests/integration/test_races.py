"""Concurrency and crash recovery: the table is the truth, invocations are hints."""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
import uuid

import pytest

from shared.domain import clock, media_errors
from shared.domain.errors import RetryableProcessingError
from shared.domain.ids import random_task_id
from shared.domain.kinds.snapshot import SNAPSHOT_PRESETS
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.domain.workflow import SubtaskSpec
from shared.services.aggregate import aggregate_task
from shared.services.create import new_task
from shared.services.reconcile import reconcile
from shared.services.worker import run_subtask
from tests.integration.pipeline_helpers import ENGINES, add_workflow, trigger, upload
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.integration


def make_task(deps, account, n):
    task, subtasks = new_task(
        task_id=random_task_id(deps.settings.appid),
        account=account,
        input_bucket=deps.settings.input_bucket,
        input_key="k.mp4",
        input_etag="e",
        input_size=1,
        output_bucket=deps.settings.output_bucket,
        output_dir="output/x/",
        origin="api",
        specs=[(SubtaskSpec("Snapshot", 10, "sampled"), SNAPSHOT_PRESETS[("sampled", 10)])] * n,
    )
    assert deps.tasks.create_task(task, subtasks)
    return task


def test_many_subtasks_finishing_at_once_give_exact_counts_and_one_finish(deps, account, monkeypatch):
    # GIVEN a task with 24 running subtasks
    n = 24
    task = make_task(deps, account, n)
    tokens = {}
    for i in range(1, n + 1):
        assert deps.tasks.claim_task(task.task_id, account, 0, clock.now_iso())
        tokens[i] = uuid.uuid4().hex
        assert deps.tasks.claim_subtask(task.task_id, i, 0, tokens[i], clock.now_iso())
    finishes = []
    lock = threading.Lock()
    real_save = deps.tasks.save_aggregate

    def counting_save(updated, expected_rev):
        ok = real_save(updated, expected_rev)
        if ok and updated.status == TaskStatus.FINISH:
            with lock:
                finishes.append(updated.finish_time)
        return ok

    monkeypatch.setattr(deps.tasks, "save_aggregate", counting_save)

    # WHEN they all finish at once, each followed by its own aggregator run (plus duplicates)
    def finish(i):
        status = SubtaskStatus.FAIL if i % 5 == 0 else SubtaskStatus.SUCCESS
        assert deps.tasks.finish_subtask(
            task.task_id,
            i,
            tokens[i],
            status=status,
            now=clock.now_iso(),
            err_code="X" if status == SubtaskStatus.FAIL else None,
        )
        aggregate_task(deps.tasks, task.task_id)
        aggregate_task(deps.tasks, task.task_id)

    with cf.ThreadPoolExecutor(12) as pool:
        list(pool.map(finish, range(1, n + 1)))

    # THEN the counts are exact and FINISH was written exactly once
    final = deps.tasks.get_task(task.task_id)
    assert final.status == TaskStatus.FINISH
    assert (final.counts.success, final.counts.fail, final.counts.waiting, final.counts.processing) == (20, 4, 0, 0)
    assert len(finishes) == 1


def test_a_result_without_the_claim_is_rejected(deps, account):
    task = make_task(deps, account, 1)
    deps.tasks.claim_task(task.task_id, account, 0, clock.now_iso())
    assert deps.tasks.claim_subtask(task.task_id, 1, 0, "mine", clock.now_iso())
    assert not deps.tasks.claim_subtask(task.task_id, 1, 0, "theirs", clock.now_iso())
    assert not deps.tasks.finish_subtask(task.task_id, 1, "theirs", status=SubtaskStatus.SUCCESS, now=clock.now_iso())
    assert deps.tasks.finish_subtask(task.task_id, 1, "mine", status=SubtaskStatus.SUCCESS, now=clock.now_iso())
    assert not deps.tasks.finish_subtask(task.task_id, 1, "mine", status=SubtaskStatus.FAIL, now=clock.now_iso())
    assert deps.tasks.get_subtask(task.task_id, 1).status == SubtaskStatus.SUCCESS


def test_terminate_blocks_every_later_claim(deps, account):
    task = make_task(deps, account, 2)
    assert deps.tasks.terminate_task(task.task_id, account, clock.now_iso(), media_errors.TERMINATED, "stop")
    assert not deps.tasks.claim_task(task.task_id, account, 0, clock.now_iso())
    # and a claimed task can no longer be terminated
    other = make_task(deps, account, 1)
    assert deps.tasks.claim_task(other.task_id, account, 0, clock.now_iso())
    assert not deps.tasks.terminate_task(other.task_id, account, clock.now_iso(), media_errors.TERMINATED, "x")


def test_lost_worker_is_retried_once_then_failed_and_the_task_finishes(deps, invoker, account):
    task = make_task(deps, account, 1)
    invoker.calls.clear()
    # GIVEN a run that claimed the subtask and died (no heartbeat, no result)
    deps.tasks.claim_task(task.task_id, account, 0, clock.now_iso())
    assert deps.tasks.claim_subtask(task.task_id, 1, 0, "dead-1", clock.now_iso())
    # WHEN the reconciler looks after the heartbeat went stale
    report = reconcile(deps, stale_after=0, reinvoke_after=3600, reaggregate_after=3600, batch=100_000)
    # THEN it gets one more run
    assert f"{task.task_id}/1" in report.retried
    # (other tests' stale subtasks share the table: only this task's invocations are this test's)
    mine = [e for e in invoker.take("snapshot") if e["task_id"] == task.task_id]
    assert mine == [{"task_id": task.task_id, "index": 1, "attempt": 0}]
    assert deps.tasks.get_subtask(task.task_id, 1).status == SubtaskStatus.WAITING
    # GIVEN that second run dies too
    assert deps.tasks.claim_subtask(task.task_id, 1, 0, "dead-2", clock.now_iso())
    report = reconcile(deps, stale_after=0, reinvoke_after=3600, reaggregate_after=3600, batch=100_000)
    # THEN the subtask fails with WorkerLost and the task reaches FINISH: nothing stays PROCESSING
    assert f"{task.task_id}/1" in report.failed
    sub = deps.tasks.get_subtask(task.task_id, 1)
    assert sub.status == SubtaskStatus.FAIL and sub.err_code == media_errors.WORKER_LOST
    assert deps.tasks.get_task(task.task_id).status == TaskStatus.FINISH


def test_a_live_worker_beats_the_reconciler(deps, account):
    task = make_task(deps, account, 1)
    deps.tasks.claim_task(task.task_id, account, 0, clock.now_iso())
    deps.tasks.claim_subtask(task.task_id, 1, 0, "alive", clock.now_iso())
    stale_view = deps.tasks.get_subtask(task.task_id, 1)
    assert deps.tasks.heartbeat(task.task_id, 1, "alive", 40, clock.now_iso())  # beats in between
    assert not deps.tasks.release_subtask(
        task.task_id, 1, "alive", clock.now_iso(), expect_heartbeat=stale_view.heartbeat
    )
    assert not deps.tasks.fail_lost_subtask(
        task.task_id, 1, "alive", stale_view.heartbeat, clock.now_iso(), media_errors.WORKER_LOST, "x"
    )
    assert deps.tasks.get_subtask(task.task_id, 1).progress == 40


def test_lost_invocations_are_reinvoked_and_lost_aggregations_repaired(deps, invoker, account, tmp_path):
    add_workflow(deps, account, f"{account}/", [SubtaskSpec("Snapshot", 10, "time_offset")])
    [task_id] = trigger(deps, upload(deps, make_clip(tmp_path / "l.mp4", seconds=1), f"{account}/l.mp4"))
    invoker.calls.clear()  # the worker invocation was lost
    report = reconcile(deps, stale_after=3600, reinvoke_after=0, reaggregate_after=3600, batch=100_000)
    assert f"{task_id}/1" in report.reinvoked
    # run the worker but lose its aggregator invocations
    [(fn, event)] = [(f, e) for f, e in invoker.calls if e["task_id"] == task_id]
    invoker.calls.clear()
    run_subtask(deps, event, ENGINES[fn], time_budget=60)
    invoker.calls.clear()
    assert deps.tasks.get_task(task_id).status != TaskStatus.FINISH
    report = reconcile(deps, stale_after=3600, reinvoke_after=3600, reaggregate_after=0, batch=100_000)
    assert task_id in report.reaggregated
    assert deps.tasks.get_task(task_id).status == TaskStatus.FINISH


def test_terminated_task_leftovers_are_cancelled(deps, account):
    task = make_task(deps, account, 2)
    deps.tasks.terminate_task(task.task_id, account, clock.now_iso(), media_errors.TERMINATED, "stop")
    report = reconcile(deps, stale_after=3600, reinvoke_after=0, reaggregate_after=3600, batch=100_000)
    mine = sorted(name for name in report.cancelled if name.startswith(task.task_id))
    assert mine == [f"{task.task_id}/1", f"{task.task_id}/2"]
    subs = deps.tasks.get_subtasks(task.task_id)
    assert all(s.status == SubtaskStatus.FAIL and s.err_code == media_errors.CANCELLED for s in subs)


def test_a_preparation_that_keeps_failing_ends_in_fail_not_in_a_queue_forever(deps, invoker, account):
    # GIVEN a worker whose engine binary cannot be fetched (a broken deployment)
    task = make_task(deps, account, 1)
    invoker.calls.clear()

    def broken() -> None:
        raise RetryableProcessingError("ffmpeg object not found", code="InternalError.Ffmpeg")

    event = {"task_id": task.task_id, "index": 1, "attempt": 0}
    # WHEN the event is delivered again after each failure, as the runtime does
    for _ in range(3):
        try:
            run_subtask(deps, event, ENGINES["snapshot"], time_budget=30, prepare=broken)
        except RetryableProcessingError:
            continue
    # THEN the subtask FAILs after its runs, with the reason, and the task finishes
    sub = deps.tasks.get_subtask(task.task_id, 1)
    assert sub.status == SubtaskStatus.FAIL and sub.err_code == media_errors.INTERNAL and "ffmpeg" in sub.message
    aggregate_task(deps.tasks, task.task_id)
    assert deps.tasks.get_task(task.task_id).status == TaskStatus.FINISH


def test_a_long_fetch_is_not_mistaken_for_a_dead_worker(deps, invoker, account, tmp_path):
    # GIVEN a run whose preparation (a large download, say) takes longer than the stale threshold
    add_workflow(deps, account, f"{account}/", [SubtaskSpec("Snapshot", 10, "time_offset")])
    [task_id] = trigger(deps, upload(deps, make_clip(tmp_path / "s.mp4", seconds=1), f"{account}/s.mp4"))
    [(fn, event)] = [(f, e) for f, e in invoker.calls if e["task_id"] == task_id]
    reports = []

    def slow_fetch() -> None:
        for _ in range(4):  # WHEN the reconciler looks meanwhile, with a 1 s stale threshold
            time.sleep(0.6)
            reports.append(reconcile(deps, stale_after=1, reinvoke_after=3600, reaggregate_after=3600, batch=100_000))

    result = run_subtask(deps, event, ENGINES[fn], time_budget=60, prepare=slow_fetch)
    # THEN the heartbeat kept the claim alive: no retry, no WorkerLost, and the run finished
    assert all(f"{task_id}/1" not in r.retried + r.failed for r in reports)
    assert result["status"] == "SUCCESS" and result["recorded"]
