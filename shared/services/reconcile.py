"""The reconciler (timer): heals what lost invocations and dead workers leave behind.

- A running subtask whose heartbeat stopped gets one more run, then FAILs with WorkerLost.
- A queued subtask nobody picked up is invoked again (invocations are only hints).
- A queued subtask of a terminated task is cancelled (terminate stopped half-way).
- An unfinished task is re-aggregated (its aggregator invocation may have been lost).
- A notification event that is due (a retry, or a lost notifier invocation) is handed to the notifier.
Every change is a conditional write, so a worker that is alive after all always wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from shared.domain import clock, media_errors
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.runtime.observability import logger
from shared.services.create import dispatch
from shared.services.deps import Deps
from shared.services.notifier import redrive_due
from shared.services.operations import finish_reopen

LOST_RUNS_BEFORE_FAIL = 2  # the first lost run is retried once; the second one fails


@dataclass
class ReconcileReport:
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    reinvoked: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    reaggregated: list[str] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)


def _ago(seconds: float) -> str:
    return clock.iso(clock.now() - timedelta(seconds=seconds))


def reconcile(
    deps: Deps,
    *,
    stale_after: float | None = None,
    reinvoke_after: float | None = None,
    reaggregate_after: float = 30.0,
    batch: int = 500,
) -> ReconcileReport:
    """One pass; each kind of repair takes at most ``batch`` items, oldest first (the next run,
    30 s later, takes the next ones)."""
    settings, tasks = deps.settings, deps.tasks
    stale_after = settings.stale_after_seconds if stale_after is None else stale_after
    reinvoke_after = settings.reinvoke_waiting_after_seconds if reinvoke_after is None else reinvoke_after
    report = ReconcileReport()
    touched: set[str] = set()

    for sub in tasks.active_subtasks(SubtaskStatus.PROCESSING, before=_ago(stale_after), limit=batch):
        name = f"{sub.task_id}/{sub.index}"
        if not sub.claim_token or not sub.heartbeat:
            continue
        now = clock.now_iso()
        if sub.tries < LOST_RUNS_BEFORE_FAIL:
            if tasks.release_subtask(sub.task_id, sub.index, sub.claim_token, now, expect_heartbeat=sub.heartbeat):
                sub.status = SubtaskStatus.WAITING
                dispatch(deps.invoker, [sub])
                report.retried.append(name)
        elif tasks.fail_lost_subtask(
            sub.task_id,
            sub.index,
            sub.claim_token,
            sub.heartbeat,
            now,
            media_errors.WORKER_LOST,
            f"the worker stopped reporting (no heartbeat for {stale_after:.0f} s) in {sub.tries} runs",
        ):
            report.failed.append(name)
            touched.add(sub.task_id)

    for sub in tasks.active_subtasks(SubtaskStatus.WAITING, before=_ago(reinvoke_after), limit=batch):
        name = f"{sub.task_id}/{sub.index}"
        task = tasks.get_task(sub.task_id)
        now = clock.now_iso()
        if task is None or sub.attempt != task.attempt:
            continue  # a restart is resetting it
        if task.status == TaskStatus.FINISH:
            if tasks.cancel_waiting_subtask(
                sub.task_id, sub.index, sub.attempt, now, media_errors.CANCELLED, "cancelled: the task was terminated"
            ):
                report.cancelled.append(name)
                touched.add(sub.task_id)
        elif tasks.touch_waiting_subtask(sub.task_id, sub.index, sub.attempt, now):
            dispatch(deps.invoker, [sub])
            report.reinvoked.append(name)

    for task in tasks.open_tasks(before=_ago(reaggregate_after), limit=batch):
        touched.add(task.task_id)
    for task_id in sorted(touched):
        before = tasks.get_task(task_id)
        if before is None:
            continue
        finish_reopen(deps, before)  # completes a half-done restart, then re-aggregates
        after = tasks.get_task(task_id)
        if after and (after.status, after.counts) != (before.status, before.counts):
            report.reaggregated.append(task_id)
    report.notified = redrive_due(deps, limit=batch)
    if any(vars(report).values()):
        logger.info("reconciled", extra={k: v for k, v in vars(report).items() if v})
    return report
