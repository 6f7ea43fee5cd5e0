"""Table faults (issue 14, the battery): throttling, 500s, connection resets and acknowledgements
lost after a conditional write applied, injected under the table client, over hundreds of task
lifecycles. Every task must end FINISH with every result kept, no subtask run twice at once, and
the retries spent must stay bounded.

OPENMPS_FAULT_LIFECYCLES sets the number of lifecycles (default 150); OPENMPS_TABLE_FAULTS the rates.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import time
import uuid
from collections.abc import Iterator

import pytest
from pynamodb.exceptions import UpdateError

from shared.composition import build_deps
from shared.domain import clock, media_errors
from shared.domain.status import SubtaskCounts, SubtaskStatus, TaskStatus
from shared.runtime.settings import Settings
from shared.services.aggregate import aggregate_task
from shared.services.deps import Deps
from shared.services.operations import reopen, terminate
from shared.services.reconcile import reconcile
from shared.storage.local import LocalStorage
from shared.store.faults import TableFaults, active_faults
from shared.store.models import ALL_MODELS, CounterModel, TaskModel, bind_models
from tests.integration.fault_lifecycles import SPECS, Mailbox, RecordingEngine, Tally, create, drain, lifecycle

pytestmark = pytest.mark.integration

# About 7 % of HTTP attempts fail before they are sent, and 4 % of conditional writes apply but
# are answered "condition failed".
FAULTS = os.environ.get("OPENMPS_TABLE_FAULTS") or "throttle=0.03,server_error=0.02,reset=0.02,lost_ack=0.04,seed=14"
LIFECYCLES = int(os.environ.get("OPENMPS_FAULT_LIFECYCLES") or 150)
THREADS = 16  # botocore's retry back-off sleeps; lifecycles overlap them, as concurrent functions do


@pytest.fixture(scope="module")
def fault_tables(settings: Settings) -> Iterator[Settings]:
    """Tables of their own, so the reconciler sees only these tasks (created side by side: one
    by one they take ~2 s each)."""
    own = settings.model_copy(update={"table_prefix": f"faults-{uuid.uuid4().hex[:8]}-"})
    bind_models(own)
    with cf.ThreadPoolExecutor(len(ALL_MODELS)) as pool:
        list(pool.map(lambda m: m.create_table(wait=True, billing_mode="PAY_PER_REQUEST"), ALL_MODELS))
    yield own
    bind_models(settings)


@pytest.fixture
def faulty(fault_tables: Settings, settings: Settings, storage: LocalStorage) -> Iterator[tuple[Deps, TableFaults]]:
    """Deps on the fault tables, with faults on."""
    deps = build_deps(fault_tables.model_copy(update={"table_faults": FAULTS}), storage=storage, invoker=Mailbox())
    faults = active_faults()
    assert faults is not None
    yield deps, faults
    bind_models(settings)  # the other tests' tables, without faults
    assert active_faults() is None


def test_a_lost_ack_tells_a_conditional_write_it_failed_and_leaves_it_applied(fault_tables, settings):
    # GIVEN every conditional write loses its acknowledgement
    try:
        bind_models(fault_tables.model_copy(update={"table_faults": "lost_ack=0.999"}))
        CounterModel("lost-ack").save()
        # WHEN a conditional write runs, THEN it is told it failed ...
        with pytest.raises(UpdateError) as caught:
            CounterModel("lost-ack").update(actions=[CounterModel.value.add(5)], condition=CounterModel.name.exists())
        assert caught.value.cause_response_code == "ConditionalCheckFailedException"
        # ... AND yet it applied
        bind_models(fault_tables)
        assert CounterModel.get("lost-ack", consistent_read=True).value == 5
    finally:
        bind_models(settings)


def test_every_conditional_write_recognises_its_own_write_when_the_answer_is_lost(fault_tables, storage, account):
    # GIVEN a table client that hears "condition failed" after every conditional write that applied
    deps = build_deps(
        fault_tables.model_copy(update={"table_faults": "lost_ack=0.999"}), storage=storage, invoker=Mailbox()
    )
    task, subtasks = create(deps, account, 0)
    tasks, task_id = deps.tasks, task.task_id
    # WHEN a task goes through every kind of conditional write, THEN each one answers that it applied
    assert tasks.create_task(task, subtasks)
    assert tasks.claim_task(task_id, account, 0, clock.now_iso())
    assert tasks.claim_subtask(task_id, 1, 0, "run-1", clock.now_iso())
    assert tasks.heartbeat(task_id, 1, "run-1", 40, clock.now_iso())
    assert tasks.release_subtask(task_id, 1, "run-1", clock.now_iso())  # a passing fault: queued again
    assert tasks.claim_subtask(task_id, 1, 0, "run-2", clock.now_iso())
    assert tasks.finish_subtask(task_id, 1, "run-2", status=SubtaskStatus.SUCCESS, now=clock.now_iso())
    began = clock.now_iso()
    assert tasks.claim_subtask(task_id, 2, 0, "run-3", began)
    assert tasks.fail_lost_subtask(task_id, 2, "run-3", began, clock.now_iso(), media_errors.WORKER_LOST, "gone")
    assert aggregate_task(tasks, task_id).status == TaskStatus.FINISH
    reopen(deps, account, task_id, only_failed=True)  # answers, not 409: carries 1, requeues 2
    assert [(s.attempt, s.status) for s in tasks.get_subtasks(task_id)] == [
        (1, SubtaskStatus.SUCCESS),
        (1, SubtaskStatus.WAITING),
    ]
    assert tasks.claim_subtask(task_id, 2, 1, "run-4", clock.now_iso())
    assert tasks.finish_subtask(task_id, 2, "run-4", status=SubtaskStatus.SUCCESS, now=clock.now_iso())
    assert aggregate_task(tasks, task_id).counts == SubtaskCounts(success=2)
    reopen(deps, account, task_id, only_failed=False)  # a restart: both queued again
    assert tasks.touch_waiting_subtask(task_id, 2, 2, clock.now_iso())
    assert terminate(deps, account, task_id).status == TaskStatus.FINISH  # not 409 either
    # AND the task says what happened: attempt 2 terminated, both subtasks cancelled, history kept
    bind_models(fault_tables)
    final, subs = tasks.get_task(task_id), tasks.get_subtasks(task_id)
    assert (final.attempt, final.err_code, len(final.history)) == (2, media_errors.TERMINATED, 2)
    assert [(s.status, s.err_code) for s in subs] == [(SubtaskStatus.FAIL, media_errors.CANCELLED)] * 2
    assert final.counts == SubtaskCounts(fail=2)


def test_task_lifecycles_survive_table_faults(faulty, account):
    deps, faults = faulty
    mailbox, engine, tally = deps.invoker, RecordingEngine(), Tally()
    assert isinstance(mailbox, Mailbox)
    started = time.monotonic()

    # WHEN lifecycles run at once: create, workers, aggregator, FINISH; a third restart once, a tenth twice
    with cf.ThreadPoolExecutor(THREADS) as pool:
        runs = [
            pool.submit(lifecycle, deps, mailbox, engine, account, n, (n % 3 == 0) + (n % 10 == 0), tally)
            for n in range(LIFECYCLES)
        ]
        task_ids = [r.result() for r in runs]
    lifecycles_s = time.monotonic() - started
    # AND the reconciler heals what a delivery given up on left behind (its timer runs it again on error)
    heal_rounds = 0
    for heal_rounds in range(1, 11):  # noqa: B007 - the count is a figure
        unfinished = [t for t in task_ids if deps.tasks.get_task(t).status != TaskStatus.FINISH]
        if not unfinished:
            break
        try:
            reconcile(deps, stale_after=0.0, reinvoke_after=0.0, reaggregate_after=0.0)
        except Exception:  # noqa: BLE001
            pass
        for t in unfinished:
            drain(deps, mailbox, engine, t, tally)

    figures = (
        f"\ntable faults: {LIFECYCLES} lifecycles ({sum(d for d, _ in tally.restarts.values())} restarts) in "
        f"{lifecycles_s:.1f} s, heal rounds {heal_rounds - 1}; {dict(faults.counts)}, botocore retries "
        f"{faults.retries}; deliveries {tally.deliveries}, redeliveries {tally.redeliveries}, given up "
        f"{tally.given_up}; engine runs {sum(engine.runs.values())}; errors {tally.errors[:3]}"
    )
    print(figures)
    # THEN (read without faults) every task is FINISH in the attempt its restarts made, all results kept
    bind_models(deps.settings.model_copy(update={"table_faults": None}))
    n = len(SPECS)
    expected_runs = 0
    for task_id in task_ids:
        task = deps.tasks.get_task(task_id)
        done, unknown = tally.restarts[task_id]
        assert task.status == TaskStatus.FINISH and task.err_code is None, (task_id, task.status, task.err_code)
        assert done <= task.attempt <= done + unknown, (task_id, task.attempt, done, unknown)
        assert task.counts == SubtaskCounts(success=n), (task_id, task.counts)
        subs = deps.tasks.get_subtasks(task_id)
        assert [s.index for s in subs] == list(range(1, n + 1))  # no duplicate subtask
        for sub in subs:
            assert sub.attempt == task.attempt and sub.status.value == "SUCCESS", (task_id, sub.index, sub.status)
            assert len(sub.outputs) == 1, (task_id, sub.index, sub.outputs)
            out = sub.outputs[0]
            with deps.storage.open_read(out["bucket"], out["key"]) as f:
                assert f.read().decode().startswith(task_id), (task_id, out)
        assert len(TaskModel.get(task_id).history or []) == task.attempt
        expected_runs += n * (task.attempt + 1)
    # AND no subtask ever ran twice at once; re-runs are few and come from faults that outlived the retries
    assert engine.overlaps == []
    total_runs = sum(engine.runs.values())
    reruns = total_runs - expected_runs
    assert 0 <= reruns <= max(5, total_runs // 20), (reruns, figures)
    # AND the retries stay bounded: botocore's at most 3 per call, SCF's at most 2 per event
    calls, attempts = faults.counts["calls"], faults.counts["attempts"]
    injected = sum(faults.counts[k] for k in ("throttle", "server_error", "reset"))
    assert all(faults.counts[k] > 0 for k in ("throttle", "server_error", "reset", "lost_ack")), figures
    assert injected > 0.03 * attempts and faults.retries > 0, figures
    # (a retry follows an injected fault, or a real one of the loaded table server's, counted apart)
    assert faults.retries <= injected + faults.counts["real_transients"] and faults.retries <= 3 * calls, figures
    assert tally.redeliveries <= 2 * tally.deliveries
